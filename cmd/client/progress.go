package main

import (
	"context"
	"fmt"
)

// step is one step of a flow. run returns a one-line account of what
// happened and, optionally, the API object it produced (for --json).
type step struct {
	name string
	run  func(ctx context.Context) (stepResult, error)
}

// stepResult is what a step reports.
type stepResult struct {
	detail string
	data   any
}

// progress runs steps in order and reports each as it ends:
// "✓ 3/9 user authorizes: …", or "✗ …" and the error, which stops the run.
// With --json each step is one JSON object per line.
type progress struct {
	a       *app
	steps   []step
	ok, bad string
}

func newProgress(a *app, ascii bool, steps []step) *progress {
	p := &progress{a: a, steps: steps, ok: "✓", bad: "✗"}
	if ascii {
		p.ok, p.bad = "ok", "FAIL"
	}
	return p
}

// stepLine is one step as `--json` prints it.
type stepLine struct {
	Step   int    `json:"step"`
	Of     int    `json:"of"`
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	Data   any    `json:"data,omitempty"`
}

// stepError is a failed step; it wraps the cause, so the API error's
// code and detail are still reported.
type stepError struct {
	n, of int
	name  string
	err   error
}

func (e *stepError) Error() string {
	return fmt.Sprintf("step %d/%d %s: %v", e.n, e.of, e.name, e.err)
}

func (e *stepError) Unwrap() error { return e.err }

func (p *progress) run(ctx context.Context) error {
	total := len(p.steps)
	for i, s := range p.steps {
		n := i + 1
		res, err := s.run(ctx)
		line := stepLine{Step: n, Of: total, Name: s.name, OK: err == nil, Detail: res.detail, Data: res.data}
		if err != nil {
			line.Error = err.Error()
		}
		if p.a.out.jsonMode() {
			p.a.out.jsonLine(line)
		} else if err != nil {
			p.a.out.write(fmt.Sprintf("%s %d/%d %s: %v\n", p.bad, n, total, s.name, err))
		} else {
			p.a.out.write(fmt.Sprintf("%s %d/%d %s: %s\n", p.ok, n, total, s.name, res.detail))
		}
		if err != nil {
			return &stepError{n: n, of: total, name: s.name, err: err}
		}
	}
	return nil
}

// note tells people what the flow is waiting for (nothing with --json).
func (p *progress) note(format string, args ...any) {
	p.a.out.say("  … "+format, args...)
}
