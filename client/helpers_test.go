package client_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// certsDir holds the default test identity the mock also embeds.
const certsDir = "../testdata/certs"

func certsFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(certsDir, name))
	require.NoError(t, err)
	return b
}

// identity is testdata/certs/identity.json.
type identity struct {
	MchID       string `json:"mchid"`
	AppID       string `json:"appid"`
	ServiceID   string `json:"service_id"`
	APIv3Key    string `json:"apiv3_key"`
	PublicKeyID string `json:"public_key_id"`
}

// fixtures are the keys of testdata/certs, parsed.
type fixtures struct {
	id           identity
	merchantKey  *rsa.PrivateKey
	merchantCert *x509.Certificate
	platformKey  *rsa.PrivateKey
	platformCert *x509.Certificate
	pubKeyKey    *rsa.PrivateKey // private half of the WeChat Pay public key
	pubKey       *rsa.PublicKey
}

func loadFixtures(t testing.TB) fixtures {
	t.Helper()
	var f fixtures
	require.NoError(t, json.Unmarshal(certsFile(t, "identity.json"), &f.id))
	var err error
	f.merchantKey, err = protocol.ParsePrivateKey(certsFile(t, "apiclient_key.pem"))
	require.NoError(t, err)
	f.merchantCert, err = protocol.ParseCertificate(certsFile(t, "apiclient_cert.pem"))
	require.NoError(t, err)
	f.platformKey, err = protocol.ParsePrivateKey(certsFile(t, "platform_key.pem"))
	require.NoError(t, err)
	f.platformCert, err = protocol.ParseCertificate(certsFile(t, "platform_cert.pem"))
	require.NoError(t, err)
	f.pubKeyKey, err = protocol.ParsePrivateKey(certsFile(t, "pub_key_private.pem"))
	require.NoError(t, err)
	f.pubKey, err = protocol.ParsePublicKey(certsFile(t, "pub_key.pem"))
	require.NoError(t, err)
	return f
}

// defaultConfig is the default merchant (mchid 1230000109) of testdata/certs.
func (f fixtures) defaultConfig() client.Config {
	return client.Config{
		MchID:      f.id.MchID,
		SerialNo:   protocol.SerialNumber(f.merchantCert),
		PrivateKey: f.merchantKey,
		APIv3Key:   f.id.APIv3Key,
	}
}

// mockServer is an in-process mock behind a real HTTP listener.
type mockServer struct {
	srv *mock.Server
	url string
}

func newMockServer(t testing.TB) mockServer {
	t.Helper()
	srv, err := mock.New(mock.Options{})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return mockServer{srv: srv, url: ts.URL}
}

// merchantConfig turns a generated mock merchant into a client config.
func merchantConfig(t testing.TB, m mock.Merchant) client.Config {
	t.Helper()
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	require.NoError(t, err)
	return client.Config{MchID: m.MchID, SerialNo: m.SerialNo, PrivateKey: key, APIv3Key: m.APIv3Key}
}

func newClient(t testing.TB, cfg client.Config, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(cfg, opts...)
	require.NoError(t, err)
	return c
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// recorder is a transport that records every request (headers and body
// bytes) and every answer's headers before handing the answer on.
type recorder struct {
	next http.RoundTripper

	mu        sync.Mutex
	requests  []recordedRequest
	responses []http.Header
}

type recordedRequest struct {
	Method string
	URI    string
	Header http.Header
	Body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.requests = append(r.requests, recordedRequest{Method: req.Method, URI: req.URL.RequestURI(), Header: req.Header.Clone(), Body: body})
	r.mu.Unlock()
	next := r.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.responses = append(r.responses, resp.Header.Clone())
		r.mu.Unlock()
	}
	return resp, err
}

func (r *recorder) all() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.requests...)
}

func (r *recorder) responseHeaders() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.responses...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

// tamper is a transport that lets a test rewrite each answer: its headers
// and its body bytes, after the mock has signed them.
func tamper(mutate func(h http.Header, body []byte) []byte) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		body = mutate(resp.Header, body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		return resp, nil
	})
}

// resign replaces an answer's signature headers with a signature by key
// (named serial) at time ts, so a test controls every header while the
// signature stays valid.
func resign(t testing.TB, h http.Header, body []byte, key *rsa.PrivateKey, serial string, ts int64) {
	t.Helper()
	nonce := protocol.NewNonce(32)
	sig, err := protocol.Sign(key, protocol.ResponseMessage(ts, nonce, body))
	require.NoError(t, err)
	h.Set(protocol.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(protocol.HeaderNonce, nonce)
	h.Set(protocol.HeaderSerial, serial)
	h.Set(protocol.HeaderSignature, sig)
}

// fakeClock is a settable clock, safe for the client's concurrent reads.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jsonResponse is a canned, unsigned answer, e.g. an injected 500.
func jsonResponse(req *http.Request, status int, body string, header http.Header) *http.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	return &http.Response{
		StatusCode:    status,
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
		ProtoMajor:    1,
		ProtoMinor:    1,
	}
}
