package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a scenario that cannot be loaded: where and why.
type Error struct {
	File  string
	Line  int
	Field string // dotted path, e.g. callback.delay; empty for the document
	Issue string
}

func (e *Error) Error() string {
	where := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", where, e.Field, e.Issue)
	}
	return fmt.Sprintf("%s: %s", where, e.Issue)
}

// maxSize bounds a scenario file; real ones are a few hundred bytes.
const maxSize = 1 << 20

// Decode reads every scenario of a YAML (or JSON) text; file names it in
// errors. Nothing is returned unless everything is valid, endpoints and
// event types included.
func (v Vocabulary) Decode(file string, data []byte) ([]*Scenario, error) {
	if len(data) > maxSize {
		return nil, &Error{File: file, Line: 1, Issue: fmt.Sprintf("the file is larger than %d bytes", maxSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Scenario
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, issue := syntaxError(err)
			return nil, &Error{File: file, Line: line, Issue: issue}
		}
		root := &doc
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		if err := walk(root, reflect.TypeFor[Scenario](), ""); err != nil {
			err.File = file
			return nil, err
		}
		var s Scenario
		if err := root.Decode(&s); err != nil {
			return nil, &Error{File: file, Line: root.Line, Issue: err.Error()}
		}
		if err := s.validate(root, v); err != nil {
			err.File = file
			return nil, err
		}
		out = append(out, &s)
	}
	if len(out) == 0 {
		return nil, &Error{File: file, Line: 1, Issue: "no scenario in the file"}
	}
	names := map[string]int{}
	for _, s := range out {
		names[s.Name]++
		if names[s.Name] > 1 {
			return nil, &Error{File: file, Line: 1, Field: "name", Issue: fmt.Sprintf("%q names two scenarios in one file", s.Name)}
		}
	}
	return out, nil
}

// syntaxError splits a YAML syntax error ("yaml: line 3: did not find …")
// into its line and its message.
func syntaxError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ": ")
		return line, rest
	}
	return 1, msg
}

// walk checks a node against the Go type it will decode into: only known
// keys, each once, each with a value of the right kind, and every checked
// scalar valid. It names the field and line of the first problem.
func walk(n *yaml.Node, t reflect.Type, field string) *Error {
	fail := func(issue string) *Error { return &Error{Line: n.Line, Field: field, Issue: issue} }
	if n.Kind == yaml.AliasNode {
		return fail("aliases are not supported in scenarios")
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[checker]()) {
		if n.Kind != yaml.ScalarNode {
			return fail("must be a single value")
		}
		if err := reflect.New(t).Interface().(checker).check(n.Value); err != nil {
			return fail(err.Error())
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fail("must be a mapping of keys to values")
		}
		fields := map[string]reflect.StructField{}
		var known []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			fields[name] = f
			known = append(known, name)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(field, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				return &Error{Line: k.Line, Field: sub, Issue: "unknown key (known keys: " + strings.Join(known, ", ") + ")"}
			}
			if seen[k.Value] {
				return &Error{Line: k.Line, Field: sub, Issue: "appears twice"}
			}
			seen[k.Value] = true
			if err := walk(v, f.Type, sub); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fail("must be a list")
		}
		for i, el := range n.Content {
			if err := walk(el, t.Elem(), fmt.Sprintf("%s[%d]", field, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return fail("must be a text value")
		}
	case reflect.Int, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return fail(fmt.Sprintf("%q is not a whole number", n.Value))
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			return fail(fmt.Sprintf("%q is not a number", n.Value))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return fail(fmt.Sprintf("%q is not true or false", n.Value))
		}
	}
	return nil
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// lineOf finds the line of a dotted field in a decoded document, or the
// document's own line.
func lineOf(root *yaml.Node, field string) int {
	n := root
	for _, key := range strings.Split(field, ".") {
		found := false
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				n, found = n.Content[i+1], true
				break
			}
		}
		if !found {
			return n.Line
		}
	}
	return n.Line
}

// validate checks what the types cannot: required keys, ranges, and
// combinations that would make no sense.
func (s *Scenario) validate(root *yaml.Node, v Vocabulary) *Error {
	fail := func(field, issue string) *Error {
		return &Error{Line: lineOf(root, field), Field: field, Issue: issue}
	}
	m := s.Match
	if m.Endpoint != "" && !slices.Contains(v.Endpoints, string(m.Endpoint)) {
		return fail("match.endpoint", unknown(string(m.Endpoint), v.Endpoints, "endpoint"))
	}
	if m.EventType != "" && !slices.Contains(v.EventTypes, string(m.EventType)) {
		return fail("match.event_type", unknown(string(m.EventType), v.EventTypes, "event type"))
	}
	switch {
	case s.Name == "":
		return fail("name", "is required")
	case !reName.MatchString(s.Name):
		return fail("name", fmt.Sprintf("%q must be lower-case letters, digits and dashes (at most 64)", s.Name))
	case strings.TrimSpace(s.Description) == "":
		return fail("description", "is required: say what the scenario does and what a correct merchant does about it")
	case s.API == nil && s.User == nil && s.Deduction == nil && s.Refund == nil && s.Callback == nil:
		return fail("name", "the scenario has no effect: give api, user, deduction, refund or callback")
	case m.Nth < 0:
		return fail("match.nth", "must be 1 or more")
	case m.Times < 0:
		return fail("match.times", "must be 1 or more")
	case m.Nth > 0 && m.Times > 0:
		return fail("match.times", "give nth or times, not both")
	case m.Probability < 0 || m.Probability > 1:
		return fail("match.probability", fmt.Sprintf("%v must be between 0 and 1", m.Probability))
	case m.Endpoint != "" && s.API == nil && (s.User == nil || !s.User.RiskRejected):
		return fail("match.endpoint", "applies to api effects (and user.risk_rejected) only")
	case m.EventType != "" && s.Callback == nil:
		return fail("match.event_type", "applies to callback effects only")
	case (m.Nth > 0 || m.Times > 0 || m.Probability > 0) && s.API == nil && s.Deduction == nil && s.Refund == nil && s.Callback == nil &&
		(s.User == nil || !s.User.RiskRejected):
		return fail("match", "nth, times and probability count API calls, deductions, refunds and callbacks; user behaviour applies to every matching order")
	}
	if a := s.API; a != nil {
		switch {
		case a.Status == 0 && a.Latency == 0 && !a.DropConnection && !a.LoseResponse:
			return fail("api", "does nothing: give status, latency, drop_connection or lose_response")
		case a.Status != 0 && (a.Status < 400 || a.Status > 599):
			return fail("api.status", fmt.Sprintf("%d is not an error status (400 to 599)", a.Status))
		case a.Status != 0 && a.Code == "" && defaultCode(a.Status) == "":
			return fail("api.code", fmt.Sprintf("is required with status %d", a.Status))
		case a.Status == 0 && (a.Code != "" || a.Message != ""):
			return fail("api.code", "needs a status")
		case a.DropConnection && (a.Status != 0 || a.LoseResponse):
			return fail("api.drop_connection", "drops the call: it cannot also answer or run it")
		case a.LoseResponse && a.Status != 0:
			return fail("api.lose_response", "runs the call: it cannot also answer with a status")
		}
	}
	if u := s.User; u != nil {
		switch {
		case u.ConfirmAfter == nil && !u.NeverConfirm && u.RevokeAfter == nil && !u.RejectAuthorization && !u.RiskRejected:
			return fail("user", "does nothing")
		case u.ConfirmAfter != nil && u.NeverConfirm:
			return fail("user.never_confirm", "cannot go with confirm_after")
		case u.RiskRejected && s.API != nil:
			return fail("user.risk_rejected", "is an answer to creates: it cannot go with api")
		case u.RiskRejected && m.Endpoint != "" && !slices.Contains(v.Creates, string(m.Endpoint)):
			return fail("match.endpoint", "risk_rejected refuses creates: "+strings.Join(v.Creates, ", "))
		}
	}
	if d := s.Deduction; d != nil {
		switch {
		case !d.Fail && d.FailAttempts == 0 && d.Delay == 0 && !d.Advance:
			return fail("deduction", "does nothing: give fail, fail_attempts, delay or advance")
		case d.Fail && d.FailAttempts != 0:
			return fail("deduction.fail_attempts", "cannot go with fail")
		case d.FailAttempts < 0:
			return fail("deduction.fail_attempts", "must be 1 or more")
		case d.Fail && d.RetryAfter != 0:
			return fail("deduction.retry_after", "would retry a deduction that always fails")
		case d.RetryAfter != 0 && d.FailAttempts == 0:
			return fail("deduction.retry_after", "retries a failed attempt: give fail_attempts")
		case d.Fail && d.Advance:
			return fail("deduction.advance", "an advance pays the deduction: it cannot go with fail")
		case d.RepayAfter != 0 && !d.Advance:
			return fail("deduction.repay_after", "repays an advance: give advance")
		}
	}
	if r := s.Refund; r != nil && r.Outcome != "ABNORMAL" && r.Outcome != "CLOSED" {
		return fail("refund.outcome", fmt.Sprintf("%q must be ABNORMAL or CLOSED", r.Outcome))
	}
	if c := s.Callback; c != nil {
		switch {
		case c.Delay == 0 && !c.Drop && c.Duplicate == 0 && len(c.Forge) == 0:
			return fail("callback", "does nothing: give delay, drop, duplicate or forge")
		case c.Duplicate < 0 || c.Duplicate > 10:
			return fail("callback.duplicate", fmt.Sprintf("%d must be between 1 and 10", c.Duplicate))
		case c.Drop && (c.Delay != 0 || c.Duplicate != 0 || len(c.Forge) != 0):
			return fail("callback.drop", "a dropped callback cannot also be delayed, duplicated or forged")
		}
	}
	return nil
}

// defaultCode is the code a fault with only a status answers with.
func defaultCode(status int) string {
	switch status {
	case 429:
		return "FREQUENCY_LIMITED"
	case 500:
		return "SYSTEM_ERROR"
	case 502, 503:
		return "SERVICE_UNAVAILABLE"
	}
	return ""
}
