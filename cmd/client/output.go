package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
)

// printer writes results to stdout: for people by default, the API object
// as JSON with --json. It is safe for concurrent use (listen prints from
// request goroutines).
type printer struct {
	app *app
	mu  sync.Mutex
}

func (p *printer) jsonMode() bool { return p.app.jsonOut }

func (p *printer) write(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.app.stdout, s)
}

// result prints an API object: indented JSON with --json, else the
// headline and the object's fields, one per line, in the API's order.
func (p *printer) result(headline string, v any) error {
	raw, err := toJSON(v)
	if err != nil {
		return err
	}
	if p.jsonMode() {
		p.write(indentJSON(raw) + "\n")
		return nil
	}
	var b strings.Builder
	if headline != "" {
		b.WriteString(headline + "\n")
	}
	b.WriteString(fieldsText(raw, "  ", nil))
	p.write(b.String())
	return nil
}

// say prints a line for people; nothing with --json.
func (p *printer) say(format string, args ...any) {
	if !p.jsonMode() {
		p.write(fmt.Sprintf(format, args...) + "\n")
	}
}

// hint prints what to do next, for people; nothing with --json.
func (p *printer) hint(format string, args ...any) {
	p.say("→ "+format, args...)
}

// table prints rows under a header, for people.
func (p *printer) table(header []string, rows [][]string) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	p.write(b.String())
}

// jsonLine prints v as one compact JSON line (listen and flow with --json).
func (p *printer) jsonLine(v any) {
	raw, err := toJSON(v)
	if err != nil {
		raw = []byte(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		b.Reset()
		b.Write(raw)
	}
	p.write(b.String() + "\n")
}

// toJSON marshals v without HTML escaping (URLs keep their &); raw JSON
// passes through.
func toJSON(v any) ([]byte, error) {
	switch r := v.(type) {
	case json.RawMessage:
		if len(r) == 0 {
			return []byte("null"), nil
		}
		return r, nil
	case []byte:
		return r, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func indentJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// field is one leaf of a JSON object, named by its path (a.b[0].c).
type field struct{ path, value string }

// flatten lists the leaves of a JSON document in document order, which
// for marshalled structs is the API's field order.
func flatten(raw []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out []field
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case json.Delim:
			n := 0
			if t == '{' {
				for dec.More() {
					key, err := dec.Token()
					if err != nil {
						return err
					}
					name := fmt.Sprint(key)
					if path != "" {
						name = path + "." + name
					}
					if err := walk(name); err != nil {
						return err
					}
					n++
				}
			} else {
				for dec.More() {
					if err := walk(fmt.Sprintf("%s[%d]", path, n)); err != nil {
						return err
					}
					n++
				}
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return err
			}
			if n == 0 && path != "" {
				empty := "{}"
				if t == '[' {
					empty = "[]"
				}
				out = append(out, field{path, empty})
			}
		case string:
			out = append(out, field{path, displayString(t)})
		case nil:
			out = append(out, field{path, "null"})
		default:
			out = append(out, field{path, fmt.Sprint(t)})
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	return out, nil
}

// displayString shortens multi-line values (PEM blocks) to their first
// line; --json shows them whole.
func displayString(s string) string {
	if s == "" {
		return `""`
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return fmt.Sprintf("%s … (%d lines; --json shows it all)", s[:i], strings.Count(strings.TrimRight(s, "\n"), "\n")+1)
	}
	return s
}

// fieldsText renders the leaves of raw as aligned "path  value" lines,
// leaving out those skip (if not nil) reports.
func fieldsText(raw []byte, indent string, skip func(path string) bool) string {
	fs, err := flatten(raw)
	if err != nil {
		return indent + string(raw) + "\n"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, f := range fs {
		if skip != nil && skip(f.path) {
			continue
		}
		fmt.Fprintf(tw, "%s%s\t%s\n", indent, f.path, f.value)
	}
	tw.Flush()
	return b.String()
}

// yuan renders fen as yuan for people: 5000 → ¥50.00.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, fen/100, fen%100)
}
