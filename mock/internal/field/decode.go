package field

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// Decode decodes a v3 request body into v. An empty or malformed body is a
// PARAM_ERROR; a value of the wrong JSON type is a PARAM_ERROR naming its
// JSON Pointer (/post_payments/1/amount). Unknown keys are ignored, as
// WeChat Pay ignores them.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apierr.Param(apierr.LocBody, "", "请求体不能为空", "the request body is empty; send a JSON object", nil)
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		ptr := apierr.TypeErrorPointer(body, te)
		want := jsonTypeName(te.Type.Kind())
		return apierr.Param(apierr.LocBody, ptr,
			fmt.Sprintf("输入源“/body%s”映射到字段“%s”类型校验失败，应为%s", ptr, te.Field, want),
			fmt.Sprintf("%s must be a JSON %s, not %s", ptr, want, te.Value), te.Value)
	}
	if ptr, need, given, ok := apierr.TypeMismatch(body, err); ok && ptr == "" {
		return apierr.Param(apierr.LocBody, "", "请求体不是合法的JSON", fmt.Sprintf("the body must be %s, not %s", need, given), nil)
	}
	issue := "the body is not valid JSON: " + err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		issue = fmt.Sprintf("the body is not valid JSON (at byte %d): %v", se.Offset, se)
	}
	return apierr.Param(apierr.LocBody, "", "请求体不是合法的JSON", issue, nil)
}

// jsonTypeName names the JSON type a Go kind decodes from.
func jsonTypeName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "object"
	}
	return "number"
}
