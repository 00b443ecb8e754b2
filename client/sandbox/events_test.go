package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/sandbox"
)

// sseServer is a mock's GET /sandbox/events as architecture.md's "Live
// events" specifies it: text/event-stream, event: one of order,
// notification, request, clock, scenario, data: a JSON object. write
// writes the stream after the headers; the request is handed to it.
func sseServer(t *testing.T, write func(w io.Writer, flush func(), r *http.Request)) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sandbox/events" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		flush := func() { w.(http.Flusher).Flush() }
		write(w, flush, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

const requestData = `{"request_id":"R1","time":"2026-12-01T09:00:00.000+08:00","mchid":"1230000109","method":"POST","path":"/v3/payscore/serviceorder","status":401,"code":"SIGN_ERROR","signature":"invalid","signature_issue":"sign not match"}`

// collect reads every event of the stream and the error it ends with.
func collect(t *testing.T, sb *sandbox.Client, req sandbox.EventsRequest) ([]sandbox.Event, error) {
	t.Helper()
	var evs []sandbox.Event
	for ev, err := range sb.Events(context.Background(), req) {
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func TestEvents(t *testing.T) {
	t.Parallel()

	t.Run("every event, in order, then why the stream ended", func(t *testing.T) {
		t.Parallel()
		var got *http.Request
		url := sseServer(t, func(w io.Writer, flush func(), r *http.Request) {
			got = r
			fmt.Fprint(w, ": mockpay sandbox events\n\n")
			fmt.Fprintf(w, "event: request\ndata: %s\n\n", requestData)
			fmt.Fprint(w, ": keep-alive\n\n")
			fmt.Fprint(w, "event: notification\r\ndata: {\"id\":\"N1\",\"event_type\":\"PAYSCORE.USER_PAID\",\"state\":\"delivered\",\"mchid\":\"1230000109\",\"attempts\":1,\"attempt\":{\"at\":\"2026-12-01T09:00:05+08:00\",\"status\":204,\"duration_ms\":3}}\r\n\r\n")
			fmt.Fprint(w, "event: clock\nid: 7\nretry: 1000\ndata: {\"now\":\"2026-12-01T09:30:00.000+08:00\",\ndata: \"mode\":\"virtual\"}\n\n")
			fmt.Fprint(w, "data: {\"untyped\":true}\n\n")
			fmt.Fprint(w, ": stream ended: the event stream fell behind and was dropped; subscribe again and reload what it shows\n\n")
			flush()
		})
		sb := newClient(t, url, sandbox.WithToken("s3cret"))
		evs, err := collect(t, sb, sandbox.EventsRequest{MchID: "1230000109"})

		require.ErrorIs(t, err, sandbox.ErrStreamEnded)
		assert.Contains(t, err.Error(), ": the event stream fell behind and was dropped")
		require.Len(t, evs, 4)
		assert.Equal(t, []sandbox.EventType{sandbox.EventRequest, sandbox.EventNotification, sandbox.EventClock, "message"},
			[]sandbox.EventType{evs[0].Type, evs[1].Type, evs[2].Type, evs[3].Type})
		assert.JSONEq(t, `{"now":"2026-12-01T09:30:00.000+08:00","mode":"virtual"}`, string(evs[2].Data), "data lines join")

		rq, err := evs[0].Request()
		require.NoError(t, err)
		assert.Equal(t, sandbox.RequestEvent{RequestID: "R1", Time: "2026-12-01T09:00:00.000+08:00", MchID: "1230000109", Method: "POST",
			Path: "/v3/payscore/serviceorder", Status: 401, Code: "SIGN_ERROR", Signature: sandbox.SignatureInvalid, SignatureIssue: "sign not match"}, *rq)
		n, err := evs[1].Notification()
		require.NoError(t, err)
		assert.Equal(t, "N1", n.ID)
		assert.Equal(t, sandbox.NotificationDelivered, n.State)
		require.NotNil(t, n.Attempt)
		assert.Equal(t, 204, n.Attempt.Status)
		_, err = evs[1].Request()
		assert.ErrorContains(t, err, "a notification event, not a request one")

		assert.Equal(t, "/sandbox/events?mchid=1230000109", got.URL.RequestURI())
		assert.Equal(t, "Bearer s3cret", got.Header.Get("Authorization"))
		assert.Equal(t, "text/event-stream", got.Header.Get("Accept"))
	})
	t.Run("a stream cut without a word", func(t *testing.T) {
		t.Parallel()
		url := sseServer(t, func(w io.Writer, _ func(), _ *http.Request) {
			fmt.Fprintf(w, "event: request\ndata: %s\n\n: keep-alive\n\n", requestData)
		})
		evs, err := collect(t, newClient(t, url), sandbox.EventsRequest{})
		assert.Len(t, evs, 1)
		assert.Equal(t, sandbox.ErrStreamEnded, err, "no reason to give")
	})
	t.Run("the reader stops: no error", func(t *testing.T) {
		t.Parallel()
		url := sseServer(t, func(w io.Writer, flush func(), r *http.Request) {
			fmt.Fprintf(w, "event: request\ndata: %s\n\n", requestData)
			flush()
			<-r.Context().Done() // open until the reader leaves
		})
		n := 0
		for _, err := range newClient(t, url).Events(context.Background(), sandbox.EventsRequest{}) {
			require.NoError(t, err)
			n++
			break
		}
		assert.Equal(t, 1, n)
	})
	t.Run("the context ends the stream: no error", func(t *testing.T) {
		t.Parallel()
		url := sseServer(t, func(w io.Writer, flush func(), r *http.Request) {
			fmt.Fprintf(w, "event: request\ndata: %s\n\n", requestData)
			flush()
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var errs []error
		for _, err := range newClient(t, url).Events(ctx, sandbox.EventsRequest{}) {
			if err != nil {
				errs = append(errs, err)
			}
			cancel() // after the first event
		}
		assert.Empty(t, errs)
	})
	t.Run("the client's timeout does not cut the stream", func(t *testing.T) {
		t.Parallel()
		url := sseServer(t, func(w io.Writer, flush func(), _ *http.Request) {
			flush()
			time.Sleep(100 * time.Millisecond) // longer than the client's timeout
			fmt.Fprintf(w, "event: request\ndata: %s\n\n", requestData)
		})
		sb := newClient(t, url, sandbox.WithHTTPClient(&http.Client{Timeout: 10 * time.Millisecond}))
		evs, err := collect(t, sb, sandbox.EventsRequest{})
		assert.Len(t, evs, 1)
		assert.ErrorIs(t, err, sandbox.ErrStreamEnded)
	})
	t.Run("an older mock without live events", func(t *testing.T) {
		t.Parallel()
		f := newFakeSandbox(t, http.StatusNotFound, `{"code":"NOT_FOUND","message":"GET /sandbox/events is not a sandbox endpoint"}`)
		_, err := collect(t, newClient(t, f.url), sandbox.EventsRequest{})
		assert.True(t, sandbox.IsCode(err, sandbox.CodeNotFound), "%v", err)
	})
	t.Run("an answer that is not a stream", func(t *testing.T) {
		t.Parallel()
		f := newFakeSandbox(t, http.StatusOK, `[]`)
		_, err := collect(t, newClient(t, f.url), sandbox.EventsRequest{})
		assert.ErrorContains(t, err, "not text/event-stream")
		assert.False(t, errors.Is(err, sandbox.ErrStreamEnded))
	})
}
