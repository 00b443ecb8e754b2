package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Health is the answer of GET /sandbox/health.
type Health struct {
	Status  string    `json:"status"` // "ok": ready to serve
	Version string    `json:"version"`
	Clock   ClockMode `json:"clock"`
	answer
}

// GetHealth asks GET /sandbox/health, which needs no token, whether the
// target is a mock ready to serve. An answer that is not a mock's health
// is an error wrapping ErrNotMock; a target that does not answer is the
// transport error.
func (c *Client) GetHealth(ctx context.Context) (*Health, error) {
	h, err := call[Health](ctx, c, endpoint("GetHealth", http.MethodGet, "/sandbox/health"))
	var se *Error
	switch {
	case errors.As(err, &se), errors.Is(err, errBadAnswer):
		return nil, fmt.Errorf("%w: %w", ErrNotMock, err)
	case err != nil:
		return nil, err
	case h.Status != "ok":
		return nil, fmt.Errorf("%w: GET /sandbox/health says status %q", ErrNotMock, h.Status)
	}
	return h, nil
}

// Platform is the answer of GET /sandbox/platform: what a client needs to
// verify the mock's answers and callbacks, and to trust its HTTPS.
type Platform struct {
	SerialNo         string `json:"serial_no"`          // of the platform certificate
	CertificatePEM   string `json:"certificate_pem"`    // the platform certificate
	PublicKeyID      string `json:"public_key_id"`      // PUB_KEY_ID_…, the WeChat Pay public key's id
	PublicKeyPEM     string `json:"public_key_pem"`     // the WeChat Pay public key
	CACertificatePEM string `json:"ca_certificate_pem"` // the test CA of the mock's HTTPS certificate
	answer
}

// GetPlatform returns what verifies the mock: GET /sandbox/platform.
func (c *Client) GetPlatform(ctx context.Context) (*Platform, error) {
	return call[Platform](ctx, c, endpoint("GetPlatform", http.MethodGet, "/sandbox/platform"))
}

// Reset drops every order, user, callback, scenario and the request log;
// merchants and the platform identity stay: POST /sandbox/reset. It acts
// for everyone using the mock; a test that shares a mock uses a merchant
// of its own instead.
func (c *Client) Reset(ctx context.Context) error {
	return c.exec(ctx, endpoint("Reset", http.MethodPost, "/sandbox/reset"))
}
