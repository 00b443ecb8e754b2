package protocol

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON encodes v as compact JSON the way WeChat Pay writes it: UTF-8
// text and URLs unescaped (no \u003c for "<" or \u0026 for "&"), and no
// trailing newline. The bytes returned are the bytes to sign and send.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
