package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// maxNotificationBody bounds what ParseNotification reads. A callback is a
// few KiB; the endpoint is public, so an unbounded read is a memory DoS.
const maxNotificationBody = 1 << 20

// Notification is a verified and decrypted callback (回调通知) of
// protocol.md §6: the envelope's fields and the plaintext of its resource.
type Notification struct {
	ID           string // unique per event and kept across redeliveries: deduplicate on it
	CreateTime   string // RFC 3339 as sent, e.g. 2015-05-20T13:29:35+08:00; see CreatedAt
	EventType    string // e.g. PAYSCORE.USER_CONFIRM, PAYSCORE.USER_PAID, REFUND.SUCCESS
	ResourceType string // "encrypt-resource"
	Summary      string // e.g. 确认订单

	// Resource is the encrypted resource as received.
	Resource NotificationResource

	// Plaintext is the decrypted resource, a JSON object whose shape
	// depends on EventType; Decode unmarshals it.
	Plaintext []byte

	// RequestID and Serial are the callback's Request-Id and
	// Wechatpay-Serial headers, for logs and support requests.
	RequestID string
	Serial    string
}

// NotificationResource is the "resource" object of a callback envelope.
type NotificationResource struct {
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	Nonce          string `json:"nonce"`
	AssociatedData string `json:"associated_data"`
	OriginalType   string `json:"original_type"`
}

// Decode unmarshals the decrypted resource into v, e.g. a pay-score order
// payload for PAYSCORE.USER_PAID. Unknown fields are ignored because WeChat
// Pay adds fields without notice.
func (n *Notification) Decode(v any) error {
	if err := json.Unmarshal(n.Plaintext, v); err != nil {
		return fmt.Errorf("decode %s notification %s into %T: %w", n.EventType, n.ID, v, err)
	}
	return nil
}

// CreatedAt parses CreateTime. It is separate from parsing the notification
// so that an unexpected time format never makes a genuine callback fail.
func (n *Notification) CreatedAt() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, n.CreateTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("notification %s create_time: %w", n.ID, err)
	}
	return t, nil
}

// envelope is the wire shape of a callback body.
type envelope struct {
	ID           string                `json:"id"`
	CreateTime   string                `json:"create_time"`
	EventType    string                `json:"event_type"`
	ResourceType string                `json:"resource_type"`
	Summary      string                `json:"summary"`
	Resource     *NotificationResource `json:"resource"`
}

// ParseNotification verifies and decrypts a callback from WeChat Pay. It
// reads the raw body (and puts it back in r.Body, so the caller may read it
// again), then checks, in order: the Wechatpay-Timestamp, -Nonce, -Serial
// and -Signature headers are present; Wechatpay-Signature-Type is absent or
// WECHATPAY2-SHA256-RSA2048; the timestamp is less than 300 s from the
// client clock; the signature is not a WECHATPAY/SIGNTEST/ probe and
// verifies under the key the serial names. Only then is the body decoded
// and its resource decrypted with the APIv3 key.
//
// Every rejection is a *NotificationError wrapping a sentinel error
// (ErrMissingHeader, ErrStaleTimestamp, ErrSignatureProbe, ErrDecrypt, …).
func (c *Client) ParseNotification(r *http.Request) (*Notification, error) {
	requestID := r.Header.Get(protocol.HeaderRequestID)
	reject := func(err error) error {
		return &NotificationError{RequestID: requestID, Reason: err.Error(), Err: err}
	}
	body, err := readBody(r)
	if err != nil {
		return nil, reject(err)
	}
	if st := r.Header.Get(protocol.HeaderSignatureType); st != "" && st != protocol.Schema {
		return nil, reject(fmt.Errorf("%w %q, want %s", ErrUnsupportedSignatureType, truncate(st, 60), protocol.Schema))
	}
	sh, err := authenticate(r.Context(), c.verifier, c.now(), r.Header, body)
	if err != nil {
		return nil, reject(err)
	}
	if len(c.apiV3Key) == 0 {
		return nil, reject(ErrNoAPIv3Key)
	}

	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, reject(fmt.Errorf("%w: envelope: %w", ErrMalformed, err))
	}
	if env.Resource == nil {
		return nil, reject(fmt.Errorf("%w: envelope has no resource", ErrMalformed))
	}
	res := encryptedResource{
		Algorithm:      env.Resource.Algorithm,
		Ciphertext:     env.Resource.Ciphertext,
		Nonce:          env.Resource.Nonce,
		AssociatedData: env.Resource.AssociatedData,
	}
	plain, err := res.decrypt(c.apiV3Key)
	if err != nil {
		return nil, reject(fmt.Errorf("resource of %s notification %s: %w", env.EventType, env.ID, err))
	}
	return &Notification{
		ID:           env.ID,
		CreateTime:   env.CreateTime,
		EventType:    env.EventType,
		ResourceType: env.ResourceType,
		Summary:      env.Summary,
		Resource:     *env.Resource,
		Plaintext:    plain,
		RequestID:    requestID,
		Serial:       sh.Serial,
	}, nil
}

// readBody reads the raw body once, bounded, and restores r.Body: the
// signature covers these exact bytes, and middleware after us may want them.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		r.Body = http.NoBody
		return nil, fmt.Errorf("%w: request has no body", ErrMalformed)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxNotificationBody+1))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: read body: %w", ErrMalformed, err)
	}
	if len(body) > maxNotificationBody {
		return nil, fmt.Errorf("%w: body is larger than %d bytes", ErrMalformed, maxNotificationBody)
	}
	return body, nil
}
