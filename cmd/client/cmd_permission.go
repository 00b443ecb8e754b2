package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/mockpay/mockpay/client"
)

// permissionCmd groups the authorization (免确认) endpoints.
func (a *app) permissionCmd() *command {
	return &command{
		name:  "permission",
		short: "pre-authorize, query and terminate user authorizations (免确认)",
		long: `Permission manages users' authorizations of the service (授权, the 免确认 mode): create a
pre-authorization whose token the front end hands to WeChat, look a record up by its
authorization code or by openid, and terminate it.`,
		examples: []string{
			"go run ./cmd/client permission create --code AUTH-1",
			"go run ./cmd/client permission query --openid oUser1",
			"go run ./cmd/client permission terminate --code AUTH-1 --reason 用户注销",
		},
		subs: []*command{a.permissionCreateCmd(), a.permissionQueryCmd(), a.permissionTerminateCmd()},
	}
}

func (a *app) permissionCreateCmd() *command {
	var code string
	return &command{
		name:  "create",
		short: "pre-authorize a user (POST /v3/payscore/permissions)",
		long: `Create pre-authorizes a user-to-be (商户预授权, POST /v3/payscore/permissions) and prints the
apply_permissions_token the front end passes to wx.openBusinessView. The record stays
UNBINDUSER until the user authorises in WeChat; then PAYSCORE.USER_OPEN_SERVICE goes to the
notify_url (--notify-url; against the mock by default http://127.0.0.1:9000/notify, where
'listen' receives). In the sandbox, 'sandbox authorize <openid> --code <code>' plays the user.`,
		examples: []string{
			"go run ./cmd/client permission create --code AUTH-1",
			"go run ./cmd/client permission create --code AUTH-1 --notify-url https://merchant.example/wechatpay/notify",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&code, "code", "", "authorization_code, the merchant's id of the authorization (default: generated AUTH-…)")
		},
		run: func(ctx context.Context, _ []string) error {
			c, err := a.scoreClient(ctx)
			if err != nil {
				return err
			}
			if code == "" {
				code = newNumber("AUTH")
			}
			resp, err := c.createPermission(ctx, client.CreatePermissionRequest{
				ServiceID: c.serviceID, AppID: c.appID, AuthorizationCode: code, NotifyURL: c.notifyURL,
			})
			if err != nil {
				return err
			}
			out := struct {
				AuthorizationCode string `json:"authorization_code"`
				*client.CreatePermissionResponse
			}{code, resp}
			if err := a.out.result(fmt.Sprintf("pre-authorization %s created (UNBINDUSER until the user authorises)", code), out); err != nil {
				return err
			}
			a.out.hint("in the sandbox the user authorises with: %s sandbox authorize <openid> --code %s", progName, code)
			return nil
		},
	}
}

func (a *app) permissionQueryCmd() *command {
	var code, openid string
	return &command{
		name:  "query",
		short: "an authorization record by --code or --openid",
		long: `Query returns an authorization record: by the merchant's authorization code
(GET /v3/payscore/permissions/authorization-code/{code}) or by the user's openid
(GET /v3/payscore/permissions/openid/{openid}). authorization_state is UNBINDUSER before the
user authorises, AVAILABLE after, UNAVAILABLE once terminated.`,
		examples: []string{
			"go run ./cmd/client permission query --code AUTH-1",
			"go run ./cmd/client permission query --openid oUser1 --json | jq -r .authorization_state",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&code, "code", "", "the authorization_code given at pre-authorization")
			fs.StringVar(&openid, "openid", "", "the user's openid")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := exactlyOne("code", code, "openid", openid); err != nil {
				return err
			}
			c, err := a.scoreClient(ctx)
			if err != nil {
				return err
			}
			var p *client.Permission
			if code != "" {
				p, err = c.permissionByCode(ctx, code)
			} else {
				p, err = c.permissionByOpenID(ctx, openid)
			}
			if err != nil {
				return err
			}
			who := p.OpenID
			if who == "" {
				who = "(no user yet)"
			}
			return a.out.result(fmt.Sprintf("authorization %s: %s, user %s", p.AuthorizationCode, p.AuthorizationState, who), p)
		},
	}
}

func (a *app) permissionTerminateCmd() *command {
	var code, openid, reason string
	var legacy bool
	return &command{
		name:  "terminate",
		short: "end an authorization by --code or --openid",
		long: `Terminate ends a user's authorization (解除授权): by authorization code
(POST …/permissions/authorization-code/{code}/terminate) or by openid
(POST …/permissions/openid/{openid}/terminate). With --legacy and --openid it uses the
older 普通授权 endpoint POST /v3/payscore/users/{openid}/permissions/{service_id}/terminate.
The record becomes UNAVAILABLE and PAYSCORE.USER_CLOSE_SERVICE is sent. The API answers
204 without a body, so --json prints nothing: the exit status says it worked.`,
		examples: []string{
			"go run ./cmd/client permission terminate --code AUTH-1",
			"go run ./cmd/client permission terminate --openid oUser1 --reason 用户注销",
			"go run ./cmd/client permission terminate --openid oUser1 --legacy",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&code, "code", "", "the authorization_code given at pre-authorization")
			fs.StringVar(&openid, "openid", "", "the user's openid")
			fs.StringVar(&reason, "reason", "用户解除授权", "why, shown to the user (at most 50 characters)")
			fs.BoolVar(&legacy, "legacy", false, "with --openid: use the older users/{openid}/permissions/{service_id}/terminate endpoint")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := exactlyOne("code", code, "openid", openid); err != nil {
				return err
			}
			if legacy && openid == "" {
				return &usageError{msg: "--legacy terminates by openid: give --openid"}
			}
			c, err := a.scoreClient(ctx)
			if err != nil {
				return err
			}
			var what string
			switch {
			case legacy:
				if err := c.noPartnerForm("--legacy"); err != nil {
					return err
				}
				err = c.TerminateUserService(ctx, client.TerminateUserServiceRequest{OpenID: openid, ServiceID: c.serviceID, AppID: c.appID, Reason: reason})
				what = "user " + openid
			case code != "":
				err = c.terminateByCode(ctx, code, reason)
				what = "authorization " + code
			default:
				err = c.terminateByOpenID(ctx, openid, reason)
				what = "user " + openid
			}
			if err != nil {
				return err
			}
			// 204: the API returns no object.
			a.out.say("%s terminated (UNAVAILABLE); PAYSCORE.USER_CLOSE_SERVICE follows", what)
			return nil
		},
	}
}
