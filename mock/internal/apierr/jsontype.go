package apierr

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// The sandbox's messages say what a field needs in the API's words ("an
// integer", "an array"), never the Go type it decodes into, which means
// nothing to a caller in another language.

// JSONType names the JSON that Go type t decodes from: "a string", "an
// integer", "a number", "true or false", "an array" or "an object".
func JSONType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// Given names what a type error says was sent: "a string", "the number
// 2.5", "an array".
func Given(te *json.UnmarshalTypeError) string {
	kind, literal, _ := strings.Cut(te.Value, " ")
	switch {
	case kind == "number" && literal != "":
		return "the number " + literal
	case kind == "bool":
		return "true or false"
	case kind == "array", kind == "object":
		return "an " + kind
	}
	return "a " + kind
}

// TypeMismatch describes err when it is a value of the wrong JSON type in
// body: the JSON Pointer of the value ("" for the body itself), what it
// needs ("an integer") and what it was ("a string"). ok is false for any
// other error.
func TypeMismatch(body []byte, err error) (ptr, need, given string, ok bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return "", "", "", false
	}
	return TypeErrorPointer(body, te), JSONType(te.Type), Given(te), true
}
