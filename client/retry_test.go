package client_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
)

// flaky fails the first attempts as scripted (a status, or a transport error
// for status 0) and hands later attempts to the mock.
func flaky(failures ...int) http.RoundTripper {
	var mu sync.Mutex
	n := 0
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		if i >= len(failures) {
			return http.DefaultTransport.RoundTrip(req)
		}
		switch status := failures[i]; status {
		case 0:
			return nil, errors.New("connection reset by peer")
		case http.StatusTooManyRequests:
			return jsonResponse(req, status, `{"code":"FREQUENCY_LIMITED","message":"频率超限"}`, http.Header{"Retry-After": {"7"}}), nil
		default:
			return jsonResponse(req, status, `{"code":"SYSTEM_ERROR","message":"系统繁忙,请稍后重试"}`, nil), nil
		}
	})
}

// sleepRecorder replaces the real wait of a retry policy.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func TestClient_Retry(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	linear := func(attempt int) time.Duration { return time.Duration(attempt) * time.Second }

	tests := []struct {
		name         string
		failures     []int
		maxAttempts  int
		method, path string
		body         any
		wantAttempts int
		wantWaits    []time.Duration
		wantStatus   int    // of the final *APIError; 0 for success
		wantErr      string // in the error text
	}{
		{
			name: "500, 429, transport error, then success", failures: []int{500, 429, 0}, maxAttempts: 4,
			method: http.MethodGet, path: "/v3/certificates",
			wantAttempts: 4, wantWaits: []time.Duration{1 * time.Second, 7 * time.Second, 3 * time.Second},
		},
		{
			name: "POST retried with identical body until a non-retryable answer", failures: []int{503, 0}, maxAttempts: 5,
			method: http.MethodPost, path: "/v3/unserved/retry-probe",
			body:         map[string]any{"out_order_no": "1234323JKHDFE1243252", "service_introduction": "某某酒店"},
			wantAttempts: 3, wantWaits: []time.Duration{1 * time.Second, 2 * time.Second},
			wantStatus: http.StatusNotFound, wantErr: "after 3 attempts",
		},
		{
			name: "gives up after MaxAttempts", failures: []int{500, 502, 500}, maxAttempts: 3,
			method: http.MethodGet, path: "/v3/certificates",
			wantAttempts: 3, wantWaits: []time.Duration{1 * time.Second, 2 * time.Second},
			wantStatus: http.StatusInternalServerError, wantErr: "after 3 attempts: wechatpay: 500 SYSTEM_ERROR",
		},
		{
			name: "no retries by default", failures: []int{500}, maxAttempts: 0,
			method: http.MethodGet, path: "/v3/certificates",
			wantAttempts: 1, wantStatus: http.StatusInternalServerError,
		},
		{
			name: "4xx is not retried", failures: []int{400}, maxAttempts: 3,
			method: http.MethodGet, path: "/v3/certificates",
			wantAttempts: 1, wantStatus: http.StatusBadRequest,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{next: flaky(tc.failures...)}
			sleeper := &sleepRecorder{}
			opts := []client.Option{
				client.WithBaseURL(sb.url), client.WithHTTPClient(&http.Client{Transport: rec}),
				client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
			}
			if tc.maxAttempts > 0 {
				opts = append(opts, client.WithRetry(client.RetryPolicy{MaxAttempts: tc.maxAttempts, Backoff: linear, Sleep: sleeper.Sleep}))
			}
			c := newClient(t, f.defaultConfig(), opts...)
			_, _, err := c.DoForTest(context.Background(), tc.method, tc.path, nil, tc.body, nil)

			if tc.wantStatus == 0 {
				require.NoError(t, err)
			} else {
				var ae *client.APIError
				require.True(t, errors.As(err, &ae), "%v", err)
				assert.Equal(t, tc.wantStatus, ae.StatusCode)
				assert.Contains(t, err.Error(), tc.wantErr)
			}
			reqs := rec.all()
			require.Len(t, reqs, tc.wantAttempts)
			assert.Equal(t, tc.wantWaits, sleeper.waits)

			seenNonces := map[string]bool{}
			for i, req := range reqs {
				assert.Equal(t, reqs[0].Body, req.Body, "attempt %d sends the same bytes", i+1)
				assert.Equal(t, reqs[0].URI, req.URI)
				a, err := protocol.ParseAuthorization(req.Header.Get("Authorization"))
				require.NoError(t, err)
				assert.False(t, seenNonces[a.NonceStr], "attempt %d is signed afresh", i+1)
				seenNonces[a.NonceStr] = true
				assertSigned(t, f, req, time.Unix(a.Timestamp, 0))
			}
		})
	}
}

func TestClient_Retry_ContextEndsTheWait(t *testing.T) {
	f := loadFixtures(t)
	rec := &recorder{next: flaky(500, 500, 500)}
	ctx, cancel := context.WithCancel(context.Background())
	policy := client.RetryPolicy{
		MaxAttempts: 5,
		Backoff:     func(int) time.Duration { return time.Hour },
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel() // the caller gives up while the client waits
			return ctx.Err()
		},
	}
	c := newClient(t, f.defaultConfig(), client.WithHTTPClient(&http.Client{Transport: rec}),
		client.WithRetry(policy), client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
	_, err := c.Certificates(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, client.IsCode(err, client.CodeSystemError), "the last answer is kept: %v", err)
	assert.Equal(t, 1, rec.count())
}

func TestClient_Retry_DefaultSleepRespectsContext(t *testing.T) {
	f := loadFixtures(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newClient(t, f.defaultConfig(),
		client.WithHTTPClient(&http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return jsonResponse(req, http.StatusInternalServerError, `{"code":"SYSTEM_ERROR","message":"x"}`, nil), nil
		})}),
		client.WithRetry(client.RetryPolicy{MaxAttempts: 3, Backoff: func(int) time.Duration { return time.Hour }}),
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
	// The transport ignores the cancelled context; the real timer must not.
	_, err := c.Certificates(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 200 * time.Millisecond, 250 * time.Millisecond},
		{2, 400 * time.Millisecond, 500 * time.Millisecond},
		{3, 800 * time.Millisecond, time.Second},
		{10, 5 * time.Second, 6250 * time.Millisecond},
		{0, 200 * time.Millisecond, 250 * time.Millisecond},
	} {
		for range 20 {
			d := client.DefaultBackoff(tc.attempt)
			assert.GreaterOrEqual(t, d, tc.min, "attempt %d", tc.attempt)
			assert.LessOrEqual(t, d, tc.max, "attempt %d", tc.attempt)
		}
	}
}
