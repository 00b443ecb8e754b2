package store

import (
	"encoding/json"
	"errors"
)

// ErrNotObject is DecodeObject's error for a value that is not a JSON
// object.
var ErrNotObject = errors.New("not a JSON object")

// DecodeObject reads a JSON object from dec one member at a time, calling
// member with each key while dec is at the member's value, which member
// must read. Large saved states and journal records are read this way, so
// that each row is decoded straight into its type as the stream goes by.
func DecodeObject(dec *json.Decoder, member func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return ErrNotObject
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if err := member(tok.(string)); err != nil { // inside an object, the decoder returns only keys here
			return err
		}
	}
	_, err = dec.Token() // the closing }
	return err
}
