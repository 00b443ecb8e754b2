package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"
)

// CertificateRefreshInterval is the least time between two downloads that an
// unknown serial triggers, so that a flood of forged or misrouted messages
// cannot turn into a flood of requests to WeChat Pay.
const CertificateRefreshInterval = time.Minute

// CertificateSource is a Verifier that downloads the platform certificates
// with its client (GET /v3/certificates) on first use and again when a
// message names a serial it does not hold, at most once per
// CertificateRefreshInterval by the client's clock. It is the default
// verifier of a Client, needs no background goroutine, and is safe for
// concurrent use.
type CertificateSource struct {
	client *Client
	// sem serialises downloads; it is a channel so that a caller waiting
	// for another caller's download can still give up on its context.
	sem chan struct{}

	mu          sync.Mutex
	certs       *CertificateVerifier // replaced, never mutated
	lastAttempt time.Time            // client clock; zero before the first download
	lastErr     error                // of the last download, nil if it succeeded
}

// NewCertificateSource returns a source that downloads with c. The source
// may be shared by several clients of the same merchant (WithVerifier), so
// that they download once.
func NewCertificateSource(c *Client) *CertificateSource {
	return &CertificateSource{
		client: c,
		sem:    make(chan struct{}, 1),
		certs:  NewCertificateVerifier(),
	}
}

// Verify implements Verifier.
func (s *CertificateSource) Verify(ctx context.Context, serial string, message []byte, signature string) error {
	if v := s.snapshot(); v.has(serial) {
		return v.Verify(ctx, serial, message, signature)
	}
	if err := s.refreshFor(ctx, serial); err != nil {
		return err
	}
	v := s.snapshot()
	if !v.has(serial) {
		return fmt.Errorf("%w %q: not among the downloaded platform certificates (%s)", ErrUnknownSerial, serial, v.serials())
	}
	return v.Verify(ctx, serial, message, signature)
}

// Serial implements Verifier: the newest downloaded certificate, or "" before
// the first download. It never downloads, because the download request
// itself asks for a serial.
func (s *CertificateSource) Serial(context.Context) (string, error) {
	return s.snapshot().newest, nil
}

// Certificates returns the certificates downloaded so far, newest first.
func (s *CertificateSource) Certificates() []*x509.Certificate {
	return s.snapshot().Certificates()
}

// Refresh downloads the certificates now, whatever the refresh interval says:
// at start-up to fail fast, or after WeChat Pay announces a rotation.
func (s *CertificateSource) Refresh(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("refresh platform certificates: %w", err)
	}
	defer s.release()
	return s.download(ctx)
}

// refreshFor downloads the certificates for a serial that is not held,
// unless another caller just did or the interval has not passed.
func (s *CertificateSource) refreshFor(ctx context.Context, serial string) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("%w %q: waiting for the platform certificate download: %w", ErrUnknownSerial, serial, err)
	}
	defer s.release()

	s.mu.Lock()
	certs, last, lastErr := s.certs, s.lastAttempt, s.lastErr
	s.mu.Unlock()
	if certs.has(serial) {
		return nil // downloaded by another caller meanwhile
	}
	now := s.client.now()
	if !last.IsZero() && !now.Before(last) && now.Sub(last) < CertificateRefreshInterval {
		if lastErr != nil {
			return fmt.Errorf("%w %q: platform certificates unavailable, next download after %s: %w",
				ErrUnknownSerial, serial, last.Add(CertificateRefreshInterval).Format(time.RFC3339), lastErr)
		}
		return nil
	}
	if err := s.download(ctx); err != nil {
		return fmt.Errorf("%w %q: %w", ErrUnknownSerial, serial, err)
	}
	return nil
}

// download fetches and installs the certificates; the caller holds sem.
func (s *CertificateSource) download(ctx context.Context) error {
	if s.client == nil {
		return errors.New("certificate source has no client")
	}
	s.mu.Lock()
	held, previous := s.certs, s.lastAttempt
	s.lastAttempt = s.client.now()
	s.mu.Unlock()

	// Ask for an answer signed by a certificate already held; verify a
	// new serial with the certificates the answer itself contains.
	certs, err := s.client.fetchCertificates(ctx, held.newest, held)
	if err != nil {
		if IsCode(err, CodeResourceNotExists) {
			err = fmt.Errorf("%w; a merchant in public-key mode has no platform certificates: configure WithVerifier(NewPublicKeyVerifier(keyID, key))", err)
		}
		err = fmt.Errorf("download platform certificates: %w", err)
		s.mu.Lock()
		if ctx.Err() != nil {
			// The caller gave up; that says nothing about WeChat Pay, so
			// it must not delay the next caller's download.
			s.lastAttempt = previous
		} else {
			s.lastErr = err
		}
		s.mu.Unlock()
		return err
	}
	list := make([]*x509.Certificate, len(certs))
	for i, pc := range certs {
		list[i] = pc.Certificate
	}
	s.mu.Lock()
	s.certs, s.lastErr = NewCertificateVerifier(list...), nil
	s.mu.Unlock()
	return nil
}

func (s *CertificateSource) snapshot() *CertificateVerifier {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.certs
}

func (s *CertificateSource) acquire(ctx context.Context) error {
	// A caller that has already given up must not start a download, even
	// when the semaphore is free (select would pick at random).
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *CertificateSource) release() { <-s.sem }
