package sandboxapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr error
	}{
		{"mock", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"status":"ok","version":"0.1.0","clock":"virtual"}`)
		}, nil},
		{"404 like WeChat Pay", http.NotFound, ErrNotMock},
		{"200 but HTML", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "<html>") }, ErrNotMock},
		{"JSON without ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"status":"down"}`) }, ErrNotMock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(tt.handler)
			defer ts.Close()
			h, err := New(ts.URL, "", nil).Probe(context.Background())
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "virtual", h.Clock)
		})
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	var gotAuth, gotType string
	var gotBody []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotType = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		gotBody, _ = io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/sandbox/scenarios":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `[{"id":"sc-1"}]`)
		case "/sandbox/reset":
			w.WriteHeader(http.StatusNoContent)
		case "/sandbox/gone":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"code":"NOT_FOUND","message":"no such thing","detail":{"field":"id"}}`)
		default:
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		}
	}))
	defer ts.Close()
	c := New(ts.URL+"/", "tok", nil)
	ctx := context.Background()

	raw, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/sandbox/scenarios", Body: []byte("name: x\n"), ContentType: "application/yaml"})
	require.NoError(t, err)
	assert.JSONEq(t, `[{"id":"sc-1"}]`, string(raw))
	assert.Equal(t, "Bearer tok", gotAuth)
	assert.Equal(t, "application/yaml", gotType)
	assert.Equal(t, "name: x\n", string(gotBody), "a []byte body is sent as is")

	raw, err = c.Do(ctx, Request{Method: http.MethodPost, Path: "/sandbox/reset", Body: map[string]int{"a": 1}})
	require.NoError(t, err)
	assert.Nil(t, raw, "204 has no body")
	assert.Equal(t, "application/json", gotType)
	assert.JSONEq(t, `{"a":1}`, string(gotBody))

	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/sandbox/gone"})
	var se *Error
	require.True(t, errors.As(err, &se))
	assert.Equal(t, "NOT_FOUND: no such thing", se.Error())
	assert.JSONEq(t, `{"field":"id"}`, string(se.Detail))

	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/sandbox/other"})
	require.True(t, errors.As(err, &se))
	assert.Equal(t, "HTTP 502 Bad Gateway: <html>bad gateway</html>", se.Error())
}

// TestTypedCalls checks the method, path, query and body of the typed
// calls the CLI builds on, and that they decode the answer.
func TestTypedCalls(t *testing.T) {
	t.Parallel()
	var method, target, body string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		method, target, body = r.Method, r.URL.RequestURI(), string(raw)
		switch r.URL.Path {
		case "/sandbox/notifications":
			_, _ = io.WriteString(w, `[{"id":"n1","state":"delivered","attempts":[{"status":500},{"status":204,"kind":"redelivery"},{"status":0,"kind":"forged:probe"}]}]`)
		case "/sandbox/merchants/1230000109":
			_, _ = io.WriteString(w, `{"mchid":"1230000109","notify_url":"http://merchant:9000/notify","platform_mode":"certificate"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"code":"NOT_FOUND","message":"merchant 1999999999 is not registered"}`)
		}
	}))
	defer ts.Close()
	c := New(ts.URL, "", nil)
	ctx := context.Background()

	ns, err := c.Notifications(ctx, NotificationFilter{MchID: "1230000109", OutOrderNo: "RIDE 1"})
	require.NoError(t, err)
	assert.Equal(t, "/sandbox/notifications?mchid=1230000109&out_order_no=RIDE+1", target, "empty filters left out")
	require.Len(t, ns, 1)
	var genuine []bool
	for _, a := range ns[0].Attempts {
		genuine = append(genuine, a.Genuine())
	}
	assert.Equal(t, []bool{true, true, false}, genuine, "a forged copy is not a delivery of the callback")

	m, err := c.UpdateMerchant(ctx, "1230000109", MerchantPatch{NotifyURL: "http://merchant:9000/notify"})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPatch, method)
	assert.JSONEq(t, `{"notify_url":"http://merchant:9000/notify"}`, body, "a merge patch of what changes only")
	assert.Equal(t, "http://merchant:9000/notify", m.NotifyURL)

	_, err = c.UpdateMerchant(ctx, "1999999999", MerchantPatch{PlatformMode: "public_key"})
	assert.JSONEq(t, `{"platform_mode":"public_key"}`, body)
	var se *Error
	require.True(t, errors.As(err, &se))
	assert.Equal(t, "NOT_FOUND: merchant 1999999999 is not registered", se.Error())
}
