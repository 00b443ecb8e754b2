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
