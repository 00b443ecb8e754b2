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

// NotificationHandler returns an http.Handler for the notify_url. It answers
// WeChat Pay as protocol.md §6.5 asks:
//   - a callback that fails ParseNotification: 401 with
//     {"code":"FAIL","message":<reason>};
//   - handle returns an error: 500 with {"code":"FAIL",...}, so WeChat Pay
//     redelivers later (the error text itself is not sent);
//   - handle returns nil: 204 without a body.
//
// handle runs with the request's context and must be idempotent: WeChat Pay
// delivers a callback more than once, sometimes concurrently. It should
// return within a few seconds, since WeChat Pay waits at most 5 s.
//
// A nil handle panics at once, as http.Handle does, rather than on the
// first callback.
func (c *Client) NotificationHandler(handle func(ctx context.Context, n *Notification) error) http.Handler {
	if handle == nil {
		panic("client: NotificationHandler: nil handle func")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeReply(w, http.StatusMethodNotAllowed, "notifications are POSTed")
			return
		}
		n, err := c.ParseNotification(r)
		if err != nil {
			reason := err.Error()
			var ne *NotificationError
			if errors.As(err, &ne) {
				reason = ne.Reason
			}
			writeReply(w, http.StatusUnauthorized, reason)
			return
		}
		if err := handle(r.Context(), n); err != nil {
			writeReply(w, http.StatusInternalServerError, "notification handler failed; deliver again later")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func writeReply(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(notificationReply{Code: "FAIL", Message: message}) // cannot fail: two strings
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
