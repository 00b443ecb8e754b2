package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// notificationReply is the body WeChat Pay expects with a failure status
// (protocol.md §6.5). It is informational; the status decides.
type notificationReply struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// NotificationHandlerOption configures a NotificationHandler.
type NotificationHandlerOption func(*notificationHandler)

// WithRejectHook calls reject for every callback that fails verification
// (ParseNotification), before the handler answers it 401: a forged,
// stale or misrouted callback never reaches handle, so this is where it
// can be logged or counted. reject runs on the request's goroutine and
// must not write to the response.
func WithRejectHook(reject func(r *http.Request, err *NotificationError)) NotificationHandlerOption {
	return func(h *notificationHandler) { h.reject = reject }
}

// notificationHandler is the http.Handler NotificationHandler returns.
type notificationHandler struct {
	c      *Client
	handle func(ctx context.Context, n *Notification) error
	reject func(r *http.Request, err *NotificationError) // nil: not reported
}

// NotificationHandler returns an http.Handler for the notify_url. It answers
// WeChat Pay as protocol.md §6.5 asks:
//   - a request that is not a POST: 405;
//   - a callback that fails ParseNotification: 401 with
//     {"code":"FAIL","message":<reason>} (see WithRejectHook);
//   - handle returns an error: 500 with {"code":"FAIL",...}, so WeChat Pay
//     redelivers later (the error text itself is not sent);
//   - handle returns nil: 204 without a body.
//
// handle runs with the request's context, before the answer is written,
// and must be idempotent: WeChat Pay delivers a callback more than once,
// sometimes concurrently. It should return within a few seconds, since
// WeChat Pay waits at most 5 s.
//
// A nil handle panics at once, as http.Handle does, rather than on the
// first callback.
func (c *Client) NotificationHandler(handle func(ctx context.Context, n *Notification) error, opts ...NotificationHandlerOption) http.Handler {
	if handle == nil {
		panic("client: NotificationHandler: nil handle func")
	}
	h := &notificationHandler{c: c, handle: handle}
	for _, opt := range opts {
		if opt != nil {
			opt(h)
		}
	}
	return h
}

func (h *notificationHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeReply(w, http.StatusMethodNotAllowed, "notifications are POSTed")
		return
	}
	n, err := h.c.ParseNotification(r)
	if err != nil {
		// ParseNotification rejects with a *NotificationError only; the
		// fallback keeps a future cause from being answered with a 500.
		ne := &NotificationError{Reason: err.Error(), Err: err}
		errors.As(err, &ne)
		if h.reject != nil {
			h.reject(r, ne)
		}
		writeReply(w, http.StatusUnauthorized, ne.Reason)
		return
	}
	if err := h.handle(r.Context(), n); err != nil {
		writeReply(w, http.StatusInternalServerError, "notification handler failed; deliver again later")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeReply(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(notificationReply{Code: "FAIL", Message: message}) // cannot fail: two strings
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
