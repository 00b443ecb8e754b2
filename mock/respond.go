package mock

import (
	"errors"
	"io"
	"net/http"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// reply is what a handler returns. Handlers never write: one writer encodes
// the reply once and signs exactly the bytes it writes.
type reply struct {
	status int
	body   any // JSON-encoded; nil writes no body
	err    error
	header http.Header // added to the answer's headers (a listing's Link)
}

// jsonWriter is a body that writes its own JSON as it goes (a listing),
// rather than being encoded whole first.
type jsonWriter interface {
	writeJSON(w io.Writer) error
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

func created(body any) reply { return reply{status: http.StatusCreated, body: body} }

func noContent() reply { return reply{status: http.StatusNoContent} }

func fail(err error) reply { return reply{err: err} }

// systemError is what a caller sees of an unexpected internal error: WeChat
// Pay's own 500 body, never Go's error text.
var systemError = apierr.New(apierr.SystemError, "系统错误")

// encode renders a reply as a status and body bytes. An error that is not an
// *apierr.Error is a bug; it is logged and answered with SYSTEM_ERROR.
func (s *Server) encode(rep reply) (int, []byte) {
	status, v := rep.status, rep.body
	if rep.err != nil {
		var ae *apierr.Error
		if !errors.As(rep.err, &ae) {
			s.log.Error("internal error", "err", rep.err)
			ae = systemError
		}
		status, v = ae.Status(), ae
	}
	if v == nil {
		return status, nil
	}
	body, err := protocol.MarshalJSON(v)
	if err != nil {
		s.log.Error("encode response", "err", err)
		body, _ = protocol.MarshalJSON(systemError)
		return systemError.Status(), body
	}
	return status, body
}

// writeSigned writes a v3 response with Request-ID and the Wechatpay-*
// signature headers over the exact bytes of body.
func writeSigned(w http.ResponseWriter, sg signer, requestID string, status int, body []byte) error {
	h, err := sg.sign(body)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set(protocol.HeaderRequestID, requestID)
	hdr.Set(protocol.HeaderTimestamp, h.Timestamp)
	hdr.Set(protocol.HeaderNonce, h.Nonce)
	hdr.Set(protocol.HeaderSerial, h.Serial)
	hdr.Set(protocol.HeaderSignature, h.Signature)
	hdr.Set(protocol.HeaderSignatureType, protocol.Schema)
	// WeChat Pay answers in Chinese and says so; some SDKs log the header.
	hdr.Set("Content-Language", "zh-CN")
	writeBody(w, status, body)
	return nil
}

// writeBody writes status and body, with a JSON content type when there is one.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// answer turns a result into a reply.
func answer[T any](v T, err error) reply {
	if err != nil {
		return fail(err)
	}
	return ok(v)
}
