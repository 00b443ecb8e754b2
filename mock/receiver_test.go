package mock_test

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// callback is a verified, decrypted callback as a receiver saw it.
type callback struct {
	ID        string
	EventType string
	Summary   string
	Serial    string
	Resource  map[string]any
	Raw       []byte
}

// receiver is a merchant's callback endpoint for tests: it verifies every
// callback with the platform identity (using only the protocol
// primitives), decrypts it, and answers with the status its script says.
type receiver struct {
	t        testing.TB
	platform mock.PlatformInfo
	apiV3Key string
	srv      *httptest.Server

	mu     sync.Mutex
	script []int // statuses to answer, in order; then 204
	got    []callback
	hits   int
}

func newReceiver(t testing.TB, srv *mock.Server, apiV3Key string, script ...int) *receiver {
	rc := &receiver{t: t, platform: srv.Platform(), apiV3Key: apiV3Key, script: script}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/notify" }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	require.NoError(rc.t, err)
	assert.Equal(rc.t, http.MethodPost, r.Method)
	assert.Equal(rc.t, "WECHATPAY2-SHA256-RSA2048", r.Header.Get("Wechatpay-Signature-Type"))
	assert.NotEmpty(rc.t, r.Header.Get("Request-Id"))
	serial := r.Header.Get("Wechatpay-Serial")
	var pub *rsa.PublicKey
	if serial == rc.platform.PublicKeyID {
		pub, err = protocol.ParsePublicKey([]byte(rc.platform.PublicKeyPEM))
	} else {
		assert.Equal(rc.t, rc.platform.SerialNo, serial)
		var cert, _ = protocol.ParseCertificate([]byte(rc.platform.CertificatePEM))
		pub = cert.PublicKey.(*rsa.PublicKey)
	}
	require.NoError(rc.t, err)
	ts, err := strconv.ParseInt(r.Header.Get("Wechatpay-Timestamp"), 10, 64)
	require.NoError(rc.t, err)
	assert.InDelta(rc.t, time.Now().Unix(), ts, 5, "callbacks carry wall-clock timestamps")
	require.NoError(rc.t, protocol.Verify(pub, protocol.ResponseMessage(ts, r.Header.Get("Wechatpay-Nonce"), body), r.Header.Get("Wechatpay-Signature")))

	var env struct {
		ID           string `json:"id"`
		CreateTime   string `json:"create_time"`
		ResourceType string `json:"resource_type"`
		EventType    string `json:"event_type"`
		Summary      string `json:"summary"`
		Resource     struct {
			OriginalType   string `json:"original_type"`
			Algorithm      string `json:"algorithm"`
			Ciphertext     string `json:"ciphertext"`
			AssociatedData string `json:"associated_data"`
			Nonce          string `json:"nonce"`
		} `json:"resource"`
	}
	require.NoError(rc.t, json.Unmarshal(body, &env))
	assert.Equal(rc.t, "encrypt-resource", env.ResourceType)
	assert.Equal(rc.t, "AEAD_AES_256_GCM", env.Resource.Algorithm)
	assert.Regexp(rc.t, `\+08:00$`, env.CreateTime)
	plain, err := protocol.Decrypt([]byte(rc.apiV3Key), env.Resource.Nonce, env.Resource.AssociatedData, env.Resource.Ciphertext)
	require.NoError(rc.t, err)
	var res map[string]any
	require.NoError(rc.t, json.Unmarshal(plain, &res))

	rc.mu.Lock()
	status := http.StatusNoContent
	if rc.hits < len(rc.script) {
		status = rc.script[rc.hits]
	}
	rc.hits++
	if status < 300 {
		rc.got = append(rc.got, callback{ID: env.ID, EventType: env.EventType, Summary: env.Summary, Serial: serial, Resource: res, Raw: body})
	}
	rc.mu.Unlock()
	if status >= 300 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"code":"FAIL","message":"失败"}`))
		return
	}
	w.WriteHeader(status)
}

// callbacks returns the callbacks accepted so far.
func (rc *receiver) callbacks() []callback {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]callback(nil), rc.got...)
}

// events returns the event types accepted so far.
func (rc *receiver) events() []string {
	var out []string
	for _, c := range rc.callbacks() {
		out = append(out, c.EventType)
	}
	return out
}

// hitCount is how many callbacks reached the receiver, answered or not.
func (rc *receiver) hitCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits
}
