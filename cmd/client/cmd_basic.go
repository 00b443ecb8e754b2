package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client"
)

// certificatesCmd is GET /v3/certificates.
func (a *app) certificatesCmd() *command {
	var pem bool
	return &command{
		name:  "certificates",
		short: "download and decrypt the platform certificates (GET /v3/certificates)",
		long: `Certificates downloads WeChat Pay's platform certificates (平台证书) with GET /v3/certificates,
decrypts them with the APIv3 key and lists their serials and validity. It is the quickest
check that the merchant credentials work: the request is signed with the private key, the
answer verified and decrypted. A merchant in public-key mode has no platform certificates
and gets RESOURCE_NOT_EXISTS.`,
		examples: []string{
			"go run ./cmd/client certificates",
			"go run ./cmd/client certificates --pem > platform_cert.pem",
			"go run ./cmd/client certificates --json | jq -r '.[0].serial_no'",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&pem, "pem", false, "print only the certificates' PEM (to save them for --platform-cert)")
		},
		run: func(ctx context.Context, _ []string) error {
			c, _, err := a.client(ctx)
			if err != nil {
				return err
			}
			certs, err := c.Certificates(ctx)
			if err != nil {
				return err
			}
			type certOut struct {
				SerialNo       string    `json:"serial_no"`
				EffectiveTime  time.Time `json:"effective_time"`
				ExpireTime     time.Time `json:"expire_time"`
				CertificatePEM string    `json:"certificate_pem"`
			}
			out := make([]certOut, 0, len(certs))
			for _, pc := range certs {
				out = append(out, certOut{pc.SerialNo, pc.EffectiveTime, pc.ExpireTime, pc.PEM})
			}
			switch {
			case pem:
				for _, o := range out {
					a.out.write(o.CertificatePEM)
				}
				return nil
			case a.out.jsonMode():
				return a.out.result("", out)
			}
			rows := make([][]string, 0, len(out))
			for _, o := range out {
				rows = append(rows, []string{o.SerialNo, o.EffectiveTime.Format(time.RFC3339), o.ExpireTime.Format(time.RFC3339)})
			}
			a.out.say("%d platform certificate(s), verified and decrypted:", len(out))
			a.out.table([]string{"SERIAL_NO", "EFFECTIVE", "EXPIRES"}, rows)
			return nil
		},
	}
}

// userStateCmd is GET /v3/payscore/user-service-state.
func (a *app) userStateCmd() *command {
	var openid string
	return &command{
		name:  "user-state",
		short: "whether a user has opened the service (GET /v3/payscore/user-service-state)",
		long: `User-state asks whether a user may use the merchant's pay-score service
(GET /v3/payscore/user-service-state): AVAILABLE once they authorised it (免确认 orders
need that), UNAVAILABLE before or after termination.`,
		examples: []string{
			"go run ./cmd/client user-state --openid oUser1",
			"go run ./cmd/client user-state --openid oUser1 --json | jq -r .use_service_state",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&openid, "openid", "", "the user's openid under the appid (required)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("openid", openid); err != nil {
				return err
			}
			c, err := a.scoreClient(ctx)
			if err != nil {
				return err
			}
			st, err := c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: c.serviceID, AppID: c.appID, OpenID: openid, SubMchID: c.subMchID})
			if err != nil {
				return err
			}
			if err := a.out.result(fmt.Sprintf("user %s: %s", openid, st.UseServiceState), st); err != nil {
				return err
			}
			if st.UseServiceState != client.UseServiceAvailable {
				a.out.hint("pre-authorize with '%s permission create', then in the sandbox '%s sandbox authorize %s --code <code>'", progName, progName, openid)
			}
			return nil
		},
	}
}
