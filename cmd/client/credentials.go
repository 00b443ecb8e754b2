package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
)

// The merchant the CLI acts as, and its client: credentials from the
// settings, from the mock's record of the merchant, or a fresh sandbox
// merchant (--sandbox); answers verified as configured.

// merchant is the identity the CLI acts as.
type merchant struct {
	cfg       client.Config
	appID     string
	serviceID string
	notifyURL string
	// record is the mock's record of the merchant, when the target is a
	// mock that knows it.
	record *sandbox.Merchant
	// unknownToMock says why a merchant with every credential given has
	// no record in the mock, for the error that a missing appid causes.
	unknownToMock string
}

// merchant resolves the identity to act as, see the root help:
// --sandbox registers a fresh merchant (whose notify_url is sandboxNotify
// if set, else the configured or default one); with incomplete credentials
// and a mock as the target, the rest comes from the mock's record of the
// merchant (default 1230000109); otherwise everything comes from the
// settings.
func (a *app) merchant(ctx context.Context, sandboxNotify string) (*merchant, error) {
	if a.sess.m != nil {
		return a.sess.m, nil
	}
	cfg, err := a.settings()
	if err != nil {
		return nil, err
	}
	mock, err := a.isMock(ctx)
	if err != nil {
		return nil, err
	}
	var m *merchant
	switch {
	case a.sandbox:
		sb, err := a.requireMock(ctx, "--sandbox")
		if err != nil {
			return nil, err
		}
		notify := sandboxNotify
		if notify == "" {
			notify = defaultNotify(cfg, true)
		}
		rec, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: notify})
		if err != nil {
			return nil, fmt.Errorf("register a sandbox merchant: %w", err)
		}
		fmt.Fprintf(a.stderr, "registered sandbox merchant %s (appid %s, service_id %s, notify_url %s)\n",
			rec.MchID, first(rec.AppIDs), first(rec.ServiceIDs), rec.NotifyURL)
		if m, err = fromRecord(rec, cfg); err != nil {
			return nil, err
		}
	case mock && (cfg.SerialNo == "" || cfg.PrivateKey == "" || cfg.APIv3Key == ""):
		mchid := cfg.MchID
		if mchid == "" {
			mchid = defaultMchID
		}
		sb, err := a.sandboxAPI()
		if err != nil {
			return nil, err
		}
		rec, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: mchid})
		if err != nil {
			return nil, fmt.Errorf("read the credentials of merchant %s from the mock: %w", mchid, err)
		}
		if m, err = fromRecord(rec, cfg); err != nil {
			return nil, err
		}
	default:
		if m, err = fromSettings(cfg); err != nil {
			return nil, err
		}
		if mock {
			a.completeFromMock(ctx, m)
		}
	}
	if m.notifyURL == "" {
		m.notifyURL = defaultNotify(cfg, mock)
	}
	a.sess.m = m
	return m, nil
}

// defaultNotify is the configured notify_url, or for a mock the address
// `listen` receives on by default.
func defaultNotify(cfg settings, mock bool) string {
	if cfg.NotifyURL != "" || !mock {
		return cfg.NotifyURL
	}
	return "http://" + defaultListenAddr + defaultNotifyPath
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// fromRecord builds the merchant from a mock's record; settings given
// explicitly (a private key file, an appid, …) still win.
func fromRecord(rec *sandbox.Merchant, cfg settings) (*merchant, error) {
	m := &merchant{
		cfg:       client.Config{MchID: rec.MchID, SerialNo: rec.SerialNo, APIv3Key: rec.APIv3Key},
		appID:     first(rec.AppIDs),
		serviceID: first(rec.ServiceIDs),
		notifyURL: cfg.NotifyURL,
		record:    rec,
	}
	if cfg.SerialNo != "" {
		m.cfg.SerialNo = cfg.SerialNo
	}
	if cfg.APIv3Key != "" {
		m.cfg.APIv3Key = cfg.APIv3Key
	}
	if cfg.AppID != "" {
		m.appID = cfg.AppID
	}
	if cfg.ServiceID != "" {
		m.serviceID = cfg.ServiceID
	}
	switch {
	case cfg.PrivateKey != "":
		key, err := readPrivateKey(cfg.PrivateKey)
		if err != nil {
			return nil, err
		}
		m.cfg.PrivateKey = key
	case rec.PrivateKeyPEM != "":
		key, err := protocol.ParsePrivateKey([]byte(rec.PrivateKeyPEM))
		if err != nil {
			return nil, fmt.Errorf("the mock's private key of merchant %s: %w", rec.MchID, err)
		}
		m.cfg.PrivateKey = key
	default:
		return nil, &usageError{msg: fmt.Sprintf("the mock does not hold the private key of merchant %s (it was registered with its own certificate)", rec.MchID),
			hint: "give it with --private-key / MOCKPAY_PRIVATE_KEY"}
	}
	return m, nil
}

// fromSettings builds the merchant from explicit settings only.
func fromSettings(cfg settings) (*merchant, error) {
	var missing []string
	for _, f := range []struct{ value, name string }{
		{cfg.MchID, "MOCKPAY_MCHID"}, {cfg.SerialNo, "MOCKPAY_SERIAL_NO"},
		{cfg.PrivateKey, "MOCKPAY_PRIVATE_KEY"}, {cfg.APIv3Key, "MOCKPAY_APIV3_KEY"},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, &usageError{
			msg:  fmt.Sprintf("%s is not a mock, so the merchant's credentials are needed: %s not set", cfg.URL, strings.Join(missing, ", ")),
			hint: "set them as flags (--mchid, --serial-no, --private-key, --apiv3-key), in the environment or in a --config file",
		}
	}
	key, err := readPrivateKey(cfg.PrivateKey)
	if err != nil {
		return nil, err
	}
	return &merchant{
		cfg:   client.Config{MchID: cfg.MchID, SerialNo: strings.ToUpper(cfg.SerialNo), PrivateKey: key, APIv3Key: cfg.APIv3Key},
		appID: cfg.AppID, serviceID: cfg.ServiceID, notifyURL: cfg.NotifyURL,
	}, nil
}

func readPrivateKey(path string) (*rsa.PrivateKey, error) {
	return readSettingFile(path, "--private-key / MOCKPAY_PRIVATE_KEY", `it is apiclient_key.pem, a PEM "PRIVATE KEY"`, protocol.ParsePrivateKey)
}

// client returns the merchant's API client, verifying answers as
// configured (see verifier).
func (a *app) client(ctx context.Context) (*client.Client, *merchant, error) {
	if a.sess.c != nil {
		return a.sess.c, a.sess.m, nil
	}
	m, err := a.merchant(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	c, err := a.newClient(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	a.sess.c = c
	return c, m, nil
}

// newClient builds a client for m against the target.
func (a *app) newClient(ctx context.Context, m *merchant) (*client.Client, error) {
	cfg, err := a.settings()
	if err != nil {
		return nil, err
	}
	hc, err := a.httpClient()
	if err != nil {
		return nil, err
	}
	opts := []client.Option{client.WithBaseURL(cfg.URL), client.WithUserAgent("mockpay-cli/" + client.Version), client.WithHTTPClient(hc)}
	v, err := a.verifier(ctx, cfg, m)
	if err != nil {
		return nil, err
	}
	if v == nil {
		if v, err = a.certificateCache(ctx, cfg, m, opts); err != nil {
			return nil, err
		}
	}
	if v != nil {
		opts = append(opts, client.WithVerifier(v))
	}
	c, err := client.New(m.cfg, opts...)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("merchant credentials: %v", err)}
	}
	return c, nil
}

// certificateCache is the verifier of a merchant whose answers the
// platform certificates verify, against a mock and with a cache directory:
// the certificates kept from an earlier run, else downloaded and kept
// (see certcache.go). nil means the client's own downloading source.
func (a *app) certificateCache(ctx context.Context, cfg settings, m *merchant, opts []client.Option) (client.Verifier, error) {
	dir := cacheDir(a.environ)
	mock, err := a.isMock(ctx)
	if err != nil || dir == "" || !mock {
		return nil, err
	}
	downloader, err := client.New(m.cfg, opts...)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("merchant credentials: %v", err)}
	}
	return newCachedCertificates(certCachePath(dir, cfg.URL), cfg.URL, client.NewCertificateSource(downloader), time.Now()), nil
}

// verifier picks what verifies answers and callbacks: the configured
// platform certificate and/or WeChat Pay public key; for a mock merchant in
// public-key mode, the mock's public key; nil (the client's downloading
// certificate source) otherwise.
func (a *app) verifier(ctx context.Context, cfg settings, m *merchant) (client.Verifier, error) {
	var vs []client.Verifier
	if cfg.PublicKey != "" {
		pub, err := readSettingFile(cfg.PublicKey, "--public-key / MOCKPAY_PUBLIC_KEY", "", protocol.ParsePublicKey)
		if err != nil {
			return nil, err
		}
		vs = append(vs, client.NewPublicKeyVerifier(cfg.PublicKeyID, pub))
	}
	if cfg.PlatformCert != "" {
		cert, err := readSettingFile(cfg.PlatformCert, "--platform-cert / MOCKPAY_PLATFORM_CERT", "", protocol.ParseCertificate)
		if err != nil {
			return nil, err
		}
		vs = append(vs, client.NewCertificateVerifier(cert))
	}
	switch {
	case len(vs) == 1:
		return vs[0], nil
	case len(vs) > 1:
		return client.NewMultiVerifier(vs...), nil
	case m.record != nil && m.record.PlatformMode == sandbox.PlatformModePublicKey:
		sb, err := a.sandboxAPI()
		if err != nil {
			return nil, err
		}
		p, err := sb.GetPlatform(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the mock's public key: %w", err)
		}
		pub, err := protocol.ParsePublicKey([]byte(p.PublicKeyPEM))
		if err != nil {
			return nil, fmt.Errorf("the mock's public key: %w", err)
		}
		return client.NewPublicKeyVerifier(p.PublicKeyID, pub), nil
	}
	return nil, nil
}

// scoreClient is the merchant's client with what pay-score calls carry
// besides their own fields.
type scoreClient struct {
	*client.Client
	appID, serviceID, notifyURL string
	// subMchID is the sub-merchant a service provider acts for
	// (--sub-mchid): the calls then go to the partner API.
	subMchID string
}

// scoreClient returns the merchant's client for pay-score calls, which all
// need the appid and service_id: a usage error when they are not
// configured.
func (a *app) scoreClient(ctx context.Context) (scoreClient, error) {
	c, m, err := a.client(ctx)
	if err != nil {
		return scoreClient{}, err
	}
	appID, serviceID, err := m.ids()
	if err != nil {
		return scoreClient{}, err
	}
	cfg, err := a.settings()
	if err != nil {
		return scoreClient{}, err
	}
	return scoreClient{Client: c, appID: appID, serviceID: serviceID, notifyURL: m.notifyURL, subMchID: cfg.SubMchID}, nil
}

// completeFromMock fills in, from the mock's record of a merchant whose
// credentials were all given, what was not: the appid and service_id
// (their defaults are the record's first, as with no credentials). A
// merchant the mock does not know is left as it is; ids then says why.
func (a *app) completeFromMock(ctx context.Context, m *merchant) {
	if m.appID != "" && m.serviceID != "" {
		return
	}
	sb, err := a.sandboxAPI()
	if err == nil {
		m.record, err = sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: m.cfg.MchID})
	}
	if err != nil {
		m.unknownToMock = fmt.Sprintf("the mock has no record of merchant %s (%v)", m.cfg.MchID, err)
		return
	}
	if m.appID == "" {
		m.appID = first(m.record.AppIDs)
	}
	if m.serviceID == "" {
		m.serviceID = first(m.record.ServiceIDs)
	}
}

// ids returns the merchant's appid and service_id, which every pay-score
// call needs.
func (m *merchant) ids() (appID, serviceID string, err error) {
	if m.appID == "" || m.serviceID == "" {
		hint := "set --appid and --service-id (MOCKPAY_APPID, MOCKPAY_SERVICE_ID)"
		if m.unknownToMock != "" {
			hint = m.unknownToMock + ": " + hint
		}
		return "", "", &usageError{msg: "the appid and service_id are not configured", hint: hint}
	}
	return m.appID, m.serviceID, nil
}
