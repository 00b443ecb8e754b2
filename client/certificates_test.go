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
	"github.com/mockpay/mockpay/mock"
)

func TestClient_Certificates(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	platform := sb.srv.Platform()
	generated, err := sb.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)

	tests := []struct {
		name string
		cfg  client.Config
		opts []client.Option
	}{
		{name: "default merchant, default source", cfg: f.defaultConfig()},
		{name: "generated merchant, default source", cfg: merchantConfig(t, generated)},
		{name: "default merchant, fixed certificate", cfg: f.defaultConfig(),
			opts: []client.Option{client.WithVerifier(client.NewCertificateVerifier(f.platformCert))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.cfg, append([]client.Option{client.WithBaseURL(sb.url)}, tc.opts...)...)
			certs, err := c.Certificates(context.Background())
			require.NoError(t, err)
			require.Len(t, certs, 1)
			pc := certs[0]
			assert.Equal(t, platform.SerialNo, pc.SerialNo)
			assert.Equal(t, platform.SerialNo, protocol.SerialNumber(pc.Certificate))
			assert.Equal(t, platform.CertificatePEM, pc.PEM)
			assert.True(t, pc.EffectiveTime.Equal(pc.Certificate.NotBefore), "effective_time %s", pc.EffectiveTime)
			assert.True(t, pc.ExpireTime.Equal(pc.Certificate.NotAfter), "expire_time %s", pc.ExpireTime)
		})
	}
}

func TestClient_Certificates_PublicKeyMode(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	platform := sb.srv.Platform()
	pub, err := protocol.ParsePublicKey([]byte(platform.PublicKeyPEM))
	require.NoError(t, err)
	pkMerchant, err := sb.srv.CreateMerchant(mock.MerchantSpec{PlatformMode: "public_key"})
	require.NoError(t, err)

	t.Run("public-key merchant has no certificates", func(t *testing.T) {
		for _, v := range []client.Verifier{nil, client.NewPublicKeyVerifier(platform.PublicKeyID, pub)} {
			opts := []client.Option{client.WithBaseURL(sb.url)}
			if v != nil {
				opts = append(opts, client.WithVerifier(v))
			}
			c := newClient(t, merchantConfig(t, pkMerchant), opts...)
			certs, err := c.Certificates(context.Background())
			assert.Nil(t, certs)
			var ae *client.APIError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, http.StatusNotFound, ae.StatusCode)
			assert.Equal(t, client.CodeResourceNotExists, ae.Code)
			assert.Contains(t, ae.Message, "公钥")
			assert.True(t, client.IsCode(err, client.CodeResourceNotExists))
		}
	})

	t.Run("default source surfaces the 404 with a hint", func(t *testing.T) {
		c := newClient(t, merchantConfig(t, pkMerchant), client.WithBaseURL(sb.url))
		src := client.NewCertificateSource(c)
		err := src.Refresh(context.Background())
		assert.True(t, client.IsCode(err, client.CodeResourceNotExists), "%v", err)
		assert.Contains(t, err.Error(), "NewPublicKeyVerifier")

		// A message signed with the public key cannot be verified, and the
		// reason is the failed download, not a bare "unknown serial".
		err = src.Verify(context.Background(), platform.PublicKeyID, []byte("msg"), "c2ln")
		assert.ErrorIs(t, err, client.ErrUnknownSerial)
		assert.True(t, client.IsCode(err, client.CodeResourceNotExists), "%v", err)
	})

	t.Run("public key verifier verifies answers", func(t *testing.T) {
		rec := &recorder{}
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url),
			client.WithHTTPClient(&http.Client{Transport: rec}),
			client.WithVerifier(client.NewPublicKeyVerifier(platform.PublicKeyID, pub)))
		certs, err := c.Certificates(context.Background())
		require.NoError(t, err)
		require.Len(t, certs, 1)
		assert.Equal(t, platform.PublicKeyID, rec.all()[0].Header.Get(protocol.HeaderSerial), "the request names the public key")
		assert.Equal(t, platform.PublicKeyID, rec.responseHeaders()[0].Get(protocol.HeaderSerial), "so the answer is signed with it")
	})

	t.Run("wrong public key fails verification", func(t *testing.T) {
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url),
			client.WithVerifier(client.NewPublicKeyVerifier(platform.PublicKeyID, &f.platformKey.PublicKey)))
		_, _, err := c.DoForTest(context.Background(), http.MethodGet, "/v3/certificates", nil, nil, nil)
		var ve *client.VerificationError
		require.True(t, errors.As(err, &ve), "%v", err)
		assert.ErrorIs(t, err, client.ErrSignatureMismatch)
		assert.Equal(t, platform.PublicKeyID, ve.Serial)
		assert.NotEmpty(t, ve.RequestID)
	})

	t.Run("migration: multi verifier", func(t *testing.T) {
		multi := client.NewMultiVerifier(client.NewPublicKeyVerifier(platform.PublicKeyID, pub), client.NewCertificateVerifier(f.platformCert))
		serial, err := multi.Serial(context.Background())
		require.NoError(t, err)
		assert.Equal(t, platform.PublicKeyID, serial, "the first verifier's serial is preferred")
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithVerifier(multi))
		_, err = c.Certificates(context.Background())
		require.NoError(t, err)
	})
}

func TestClient_Certificates_WrongAPIv3Key(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	cfg := f.defaultConfig()
	cfg.APIv3Key = "0123456789abcdefghijklmnopqrstuv"
	for _, tc := range []struct {
		name string
		opts []client.Option
	}{
		{"default source", nil},
		{"fixed certificate", []client.Option{client.WithVerifier(client.NewCertificateVerifier(f.platformCert))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, cfg, append([]client.Option{client.WithBaseURL(sb.url)}, tc.opts...)...)
			_, err := c.Certificates(context.Background())
			require.Error(t, err)
			assert.ErrorIs(t, err, client.ErrDecrypt)
			assert.Contains(t, err.Error(), "APIv3 key")
			assert.Contains(t, err.Error(), `associated_data "certificate"`)
		})
	}
}

func TestCertificateSource(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	platformSerial := sb.srv.Platform().SerialNo

	t.Run("downloads on first use, then serves from cache", func(t *testing.T) {
		rec := &recorder{}
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithHTTPClient(&http.Client{Transport: rec}))
		src, ok := c.Verifier().(*client.CertificateSource)
		require.True(t, ok, "the default verifier is a certificate source")
		serial, err := src.Serial(context.Background())
		require.NoError(t, err)
		assert.Empty(t, serial, "nothing downloaded yet")

		_, _, err = c.DoForTest(context.Background(), http.MethodGet, "/v3/certificates", nil, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, rec.count(), "the call and one download")
		assert.Empty(t, rec.all()[0].Header.Get(protocol.HeaderSerial))

		_, _, err = c.DoForTest(context.Background(), http.MethodGet, "/v3/certificates", nil, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, 3, rec.count(), "no second download")
		assert.Equal(t, platformSerial, rec.all()[2].Header.Get(protocol.HeaderSerial))
		require.Len(t, src.Certificates(), 1)
		assert.Equal(t, platformSerial, protocol.SerialNumber(src.Certificates()[0]))
	})

	t.Run("unknown serial refreshes at most once a minute", func(t *testing.T) {
		rec := &recorder{}
		clock := newFakeClock(time.Now())
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithHTTPClient(&http.Client{Transport: rec}), client.WithClock(clock.Now))
		src := client.NewCertificateSource(c)
		ctx := context.Background()

		err := src.Verify(ctx, "0BADC0DE", []byte("m"), "c2ln")
		assert.ErrorIs(t, err, client.ErrUnknownSerial)
		assert.Contains(t, err.Error(), platformSerial, "names the serials it holds")
		assert.Equal(t, 1, rec.count(), "first use downloads")

		clock.Advance(59 * time.Second)
		assert.ErrorIs(t, src.Verify(ctx, "0BADC0DE", []byte("m"), "c2ln"), client.ErrUnknownSerial)
		assert.Equal(t, 1, rec.count(), "within the interval: no download")

		clock.Advance(2 * time.Second)
		assert.ErrorIs(t, src.Verify(ctx, "0BADC0DE", []byte("m"), "c2ln"), client.ErrUnknownSerial)
		assert.Equal(t, 2, rec.count(), "after the interval: one more download")

		require.NoError(t, src.Refresh(ctx))
		assert.Equal(t, 3, rec.count(), "Refresh always downloads")
	})

	t.Run("concurrent first use downloads once", func(t *testing.T) {
		rec := &recorder{}
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithHTTPClient(&http.Client{Transport: rec}))
		src := client.NewCertificateSource(c)
		msg := []byte("1700000000\nnonce\nbody\n")
		sig, err := protocol.Sign(f.platformKey, msg)
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = src.Verify(context.Background(), platformSerial, msg, sig) })
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
		assert.Equal(t, 1, rec.count())
	})

	t.Run("a cancelled wait gives up without downloading", func(t *testing.T) {
		rec := &recorder{}
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithHTTPClient(&http.Client{Transport: rec}))
		src := client.NewCertificateSource(c)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := src.Verify(ctx, platformSerial, []byte("m"), "c2ln")
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, rec.count())
		// The cancellation did not count as an attempt.
		require.NoError(t, src.Verify(context.Background(), platformSerial, []byte("m"), mustSign(t, f, []byte("m"))))
	})
}

func mustSign(t testing.TB, f fixtures, msg []byte) string {
	t.Helper()
	sig, err := protocol.Sign(f.platformKey, msg)
	require.NoError(t, err)
	return sig
}
