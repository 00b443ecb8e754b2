package apierr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// TypeErrorPointer turns encoding/json's dotted field path, which leaves out
// array indexes, into the JSON Pointer of the offending value
// (post_payments.amount → /post_payments/1/amount), for Detail.Field.
func TypeErrorPointer(body []byte, te *json.UnmarshalTypeError) string {
	var fields []string // none: the value is the body, or an element of it
	if te.Field != "" {
		fields = strings.Split(te.Field, ".")
	}
	var root any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep number literals: "number 2.5" names the value
	if dec.Decode(&root) == nil {
		if ptr, ok := locate(root, fields, te.Value); ok {
			return ptr
		}
	}
	if len(fields) == 0 {
		return ""
	}
	return "/" + strings.Join(fields, "/")
}

// locate finds the first value along fields, through any arrays, that
// encoding/json's description value ("string", "number 2.5") fits, and
// returns its pointer.
func locate(v any, fields []string, value string) (string, bool) {
	if len(fields) == 0 && fits(v, value) {
		return "", true
	}
	if arr, ok := v.([]any); ok {
		for i, el := range arr {
			if p, ok := locate(el, fields, value); ok {
				return fmt.Sprintf("/%d%s", i, p), true
			}
		}
		return "", false
	}
	if len(fields) == 0 {
		return "", false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	child, ok := obj[fields[0]]
	if !ok {
		return "", false
	}
	if p, ok := locate(child, fields[1:], value); ok {
		return "/" + fields[0] + p, true
	}
	return "", false
}

// fits reports whether a decoded value is the one described.
func fits(v any, value string) bool {
	kind, literal, _ := strings.Cut(value, " ")
	if n, ok := v.(json.Number); ok && literal != "" {
		return kind == "number" && n.String() == literal
	}
	return jsonKind(v) == kind
}

// jsonKind names a decoded JSON value's kind as encoding/json's type errors do.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}
