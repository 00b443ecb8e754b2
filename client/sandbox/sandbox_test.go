package sandbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// recorded is one request a fake sandbox received.
type recorded struct {
	method, uri, contentType, auth, body string
}

// fakeSandbox answers every request with status and body, and records it.
type fakeSandbox struct {
	url string

	mu  sync.Mutex
	got []recorded
}

func newFakeSandbox(t *testing.T, status int, body string) *fakeSandbox {
	t.Helper()
	f := &fakeSandbox{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, recorded{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)})
		f.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

func (f *fakeSandbox) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.got...)
}

func newClient(t *testing.T, base string, opts ...sandbox.Option) *sandbox.Client {
	t.Helper()
	sb, err := sandbox.New(base, opts...)
	require.NoError(t, err)
	return sb
}

// TestClient_Wire checks what every call sends: method, path with its
// parameters escaped, query without empty filters, and body.
func TestClient_Wire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	balance := int64(1000)
	to := time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name   string
		answer string // the canned 200 body
		call   func(sb *sandbox.Client) error
		want   recorded // contentType "" means no body
	}{
		{"health", `{"status":"ok"}`, func(sb *sandbox.Client) error { _, err := sb.GetHealth(ctx); return err },
			recorded{method: "GET", uri: "/sandbox/health"}},
		{"platform", `{}`, func(sb *sandbox.Client) error { _, err := sb.GetPlatform(ctx); return err },
			recorded{method: "GET", uri: "/sandbox/platform"}},
		{"create merchant", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: "http://m/notify", PlatformMode: sandbox.PlatformModePublicKey})
			return err
		}, recorded{method: "POST", uri: "/sandbox/merchants", contentType: "application/json", body: `{"notify_url":"http://m/notify","platform_mode":"public_key"}`}},
		{"create a service provider", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{Kind: sandbox.KindPartner, SubMerchants: []sandbox.SubMerchant{{SubMchID: "1900000109", SubAppIDs: []string{"wxsub"}}}})
			return err
		}, recorded{method: "POST", uri: "/sandbox/merchants", contentType: "application/json", body: `{"kind":"partner","sub_merchants":[{"sub_mchid":"1900000109","sub_appids":["wxsub"]}]}`}},
		{"bind sub-merchants", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.UpdateMerchant(ctx, sandbox.UpdateMerchantRequest{MchID: "1900000001", SubMerchants: []sandbox.SubMerchant{{SubMchID: "1900000110"}}})
			return err
		}, recorded{method: "PATCH", uri: "/sandbox/merchants/1900000001", contentType: "application/json", body: `{"sub_merchants":[{"sub_mchid":"1900000110","sub_appids":null}]}`}},
		{"list merchants", `[]`, func(sb *sandbox.Client) error { _, err := sb.ListMerchants(ctx); return err },
			recorded{method: "GET", uri: "/sandbox/merchants?limit=1000"}},
		{"get merchant", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: "1230000109"})
			return err
		}, recorded{method: "GET", uri: "/sandbox/merchants/1230000109"}},
		{"update merchant is a merge patch of what changes", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.UpdateMerchant(ctx, sandbox.UpdateMerchantRequest{MchID: "1230000109", NotifyURL: "http://m/notify"})
			return err
		}, recorded{method: "PATCH", uri: "/sandbox/merchants/1230000109", contentType: "application/json", body: `{"notify_url":"http://m/notify"}`}},
		{"delete merchant", ``, func(sb *sandbox.Client) error {
			return sb.DeleteMerchant(ctx, sandbox.DeleteMerchantRequest{MchID: "1230000109"})
		}, recorded{method: "DELETE", uri: "/sandbox/merchants/1230000109"}},
		{"authorize user", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{OpenID: "o/1", MchID: "1230000109", AuthorizationCode: "AUTH-1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/users/o%2F1/authorize", contentType: "application/json", body: `{"mchid":"1230000109","authorization_code":"AUTH-1"}`}},
		{"authorize a sub-merchant's user in its app", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{OpenID: "o1", MchID: "1900000001", SubMchID: "1900000109", SubAppID: "wxsub"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/users/o1/authorize", contentType: "application/json", body: `{"mchid":"1900000001","sub_mchid":"1900000109","sub_appid":"wxsub"}`}},
		{"revoke user", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.RevokeUser(ctx, sandbox.RevokeUserRequest{OpenID: "o1", MchID: "1230000109"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/users/o1/revoke", contentType: "application/json", body: `{"mchid":"1230000109"}`}},
		{"wallet with a balance", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.SetWallet(ctx, sandbox.SetWalletRequest{OpenID: "o1", Wallet: sandbox.Wallet{Balance: &balance, RefundOutcome: client.RefundAbnormal}})
			return err
		}, recorded{method: "PUT", uri: "/sandbox/users/o1/wallet", contentType: "application/json", body: `{"balance":1000,"refund_outcome":"ABNORMAL"}`}},
		{"unlimited wallet sends null", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.SetWallet(ctx, sandbox.SetWalletRequest{OpenID: "o1"})
			return err
		}, recorded{method: "PUT", uri: "/sandbox/users/o1/wallet", contentType: "application/json", body: `{"balance":null}`}},
		{"plate, escaped in the path", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.SetPlate(ctx, sandbox.SetPlateRequest{OpenID: "o1", PlateNumber: "粤B888888", MchID: "1230000109", State: client.PlateServicePause})
			return err
		}, recorded{method: "PUT", uri: "/sandbox/users/o1/plates/%E7%B2%A4B888888", contentType: "application/json", body: `{"mchid":"1230000109","state":"PAUSE"}`}},
		{"get user", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.GetUser(ctx, sandbox.GetUserRequest{OpenID: "o1"})
			return err
		},
			recorded{method: "GET", uri: "/sandbox/users/o1"}},
		{"list orders", `[]`, func(sb *sandbox.Client) error {
			_, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: "1230000109", State: string(client.StateDoing), Kind: sandbox.OrderKindServiceOrder})
			return err
		}, recorded{method: "GET", uri: "/sandbox/orders?kind=serviceorder&limit=1000&mchid=1230000109&state=DOING"}},
		{"get order escapes the number", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: "1230000109", OutOrderNo: "RIDE|1*"})
			return err
		}, recorded{method: "GET", uri: "/sandbox/orders/1230000109/RIDE%7C1%2A"}},
		{"confirm order", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: "1230000109", OutOrderNo: "RIDE-1", OpenID: "o1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/orders/1230000109/RIDE-1/confirm", contentType: "application/json", body: `{"openid":"o1"}`}},
		{"confirm order without a user sends {}", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: "1230000109", OutOrderNo: "RIDE-1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/orders/1230000109/RIDE-1/confirm", contentType: "application/json", body: `{}`}},
		{"a sub-merchant's order, confirmed", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: "1900000001", SubMchID: "1900000109", OutOrderNo: "RIDE-1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/orders/1900000001/RIDE-1/confirm?sub_mchid=1900000109", contentType: "application/json", body: `{}`}},
		{"a sub-merchant's order", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: "1900000001", SubMchID: "1900000109", OutOrderNo: "RIDE-1"})
			return err
		}, recorded{method: "GET", uri: "/sandbox/orders/1900000001/RIDE-1?sub_mchid=1900000109"}},
		{"a sub-merchant's orders", `[]`, func(sb *sandbox.Client) error {
			_, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: "1900000001", SubMchID: "1900000109"})
			return err
		}, recorded{method: "GET", uri: "/sandbox/orders?limit=1000&mchid=1900000001&sub_mchid=1900000109"}},
		{"pay order", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.PayOrder(ctx, sandbox.PayOrderRequest{MchID: "1230000109", OutOrderNo: "RIDE-1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/orders/1230000109/RIDE-1/pay"}},
		{"list notifications", `[]`, func(sb *sandbox.Client) error {
			_, err := sb.ListNotifications(ctx, sandbox.ListNotificationsRequest{OutOrderNo: "RIDE 1", State: sandbox.NotificationFailed})
			return err
		}, recorded{method: "GET", uri: "/sandbox/notifications?limit=1000&out_order_no=RIDE+1&state=failed"}},
		{"redeliver", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.RedeliverNotification(ctx, sandbox.RedeliverNotificationRequest{ID: "n-1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/notifications/n-1/redeliver"}},
		{"clock", `{}`, func(sb *sandbox.Client) error { _, err := sb.GetClock(ctx); return err },
			recorded{method: "GET", uri: "/sandbox/clock"}},
		{"advance by a duration", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: 30 * time.Minute})
			return err
		}, recorded{method: "POST", uri: "/sandbox/clock/advance", contentType: "application/json", body: `{"duration":"30m0s"}`}},
		{"advance to a time", `{}`, func(sb *sandbox.Client) error {
			_, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{To: to})
			return err
		}, recorded{method: "POST", uri: "/sandbox/clock/advance", contentType: "application/json", body: `{"to":"2026-12-02T09:00:00+08:00"}`}},
		{"load scenarios sends the file as it is", `[]`, func(sb *sandbox.Client) error {
			_, err := sb.LoadScenarios(ctx, sandbox.LoadScenariosRequest{File: "x.yaml", Data: []byte("name: x\n"), OutOrderNo: "RIDE-1"})
			return err
		}, recorded{method: "POST", uri: "/sandbox/scenarios?file=x.yaml&out_order_no=RIDE-1", contentType: "application/yaml", body: "name: x\n"}},
		{"list scenarios", `[]`, func(sb *sandbox.Client) error { _, err := sb.ListScenarios(ctx); return err },
			recorded{method: "GET", uri: "/sandbox/scenarios"}},
		{"unload scenario", ``, func(sb *sandbox.Client) error {
			return sb.UnloadScenario(ctx, sandbox.UnloadScenarioRequest{ID: "sc-1"})
		}, recorded{method: "DELETE", uri: "/sandbox/scenarios/sc-1"}},
		{"requests", `[]`, func(sb *sandbox.Client) error {
			_, err := sb.ListRequests(ctx, sandbox.ListRequestsRequest{MchID: "1230000109", Limit: 5})
			return err
		}, recorded{method: "GET", uri: "/sandbox/requests?limit=5&mchid=1230000109"}},
		{"reset", ``, func(sb *sandbox.Client) error { return sb.Reset(ctx) },
			recorded{method: "POST", uri: "/sandbox/reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSandbox(t, http.StatusOK, tt.answer)
			require.NoError(t, tt.call(newClient(t, f.url, sandbox.WithToken("tok"))))
			got := f.requests()
			require.Len(t, got, 1)
			tt.want.auth = "Bearer tok"
			assert.Equal(t, tt.want, got[0])
		})
	}
}

// TestClient_PathParameters: a call missing a path parameter is refused
// before anything is sent, since it would name another endpoint.
func TestClient_PathParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, want string
		call       func(sb *sandbox.Client) error
	}{
		{"get merchant", "GetMerchant: MchID is required", func(sb *sandbox.Client) error {
			_, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{})
			return err
		}},
		{"delete merchant", "DeleteMerchant: MchID is required", func(sb *sandbox.Client) error {
			return sb.DeleteMerchant(ctx, sandbox.DeleteMerchantRequest{})
		}},
		{"authorize", "AuthorizeUser: OpenID is required", func(sb *sandbox.Client) error {
			_, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{MchID: "1230000109"})
			return err
		}},
		{"order without a number", "GetOrder: OutOrderNo is required", func(sb *sandbox.Client) error {
			_, err := sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: "1230000109"})
			return err
		}},
		{"pay without a merchant", "PayOrder: MchID is required", func(sb *sandbox.Client) error {
			_, err := sb.PayOrder(ctx, sandbox.PayOrderRequest{OutOrderNo: "RIDE-1"})
			return err
		}},
		{"plate without its number", "SetPlate: PlateNumber is required", func(sb *sandbox.Client) error {
			_, err := sb.SetPlate(ctx, sandbox.SetPlateRequest{OpenID: "o1", MchID: "1230000109", State: client.PlateServiceNormal})
			return err
		}},
		{"redeliver", "RedeliverNotification: ID is required", func(sb *sandbox.Client) error {
			_, err := sb.RedeliverNotification(ctx, sandbox.RedeliverNotificationRequest{})
			return err
		}},
		{"advance both ways", "give Duration or To, not both", func(sb *sandbox.Client) error {
			_, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: time.Minute, To: time.Now()})
			return err
		}},
		{"advance backwards", "cannot move backwards", func(sb *sandbox.Client) error {
			_, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: -time.Minute})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSandbox(t, http.StatusOK, `{}`)
			err := tt.call(newClient(t, f.url))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, f.requests(), "nothing is sent")
		})
	}
}

func TestClient_Errors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name       string
		status     int
		body       string
		wantText   string
		wantCode   client.ErrorCode
		wantDetail string
	}{
		{"sandbox error", http.StatusNotFound, `{"code":"NOT_FOUND","message":"merchant 1999999999 is not registered","detail":{"field":"mchid"}}`,
			"NOT_FOUND: merchant 1999999999 is not registered", sandbox.CodeNotFound, `{"field":"mchid"}`},
		{"a code shared with the v3 API", http.StatusBadRequest, `{"code":"PARAM_ERROR","message":"/platform_mode: must be certificate or public_key"}`,
			"PARAM_ERROR: /platform_mode: must be certificate or public_key", client.CodeParamError, ""},
		{"not the sandbox's JSON", http.StatusBadGateway, "<html>bad gateway</html>",
			"HTTP 502 Bad Gateway: <html>bad gateway</html>", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSandbox(t, tt.status, tt.body)
			_, err := newClient(t, f.url).GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: "1999999999"})
			var se *sandbox.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.StatusCode)
			assert.Equal(t, tt.wantCode, se.Code)
			assert.Equal(t, tt.wantText, se.Error())
			assert.Equal(t, tt.body, string(se.Body))
			if tt.wantDetail == "" {
				assert.Nil(t, se.Detail)
			} else {
				assert.JSONEq(t, tt.wantDetail, string(se.Detail))
			}
			if tt.wantCode != "" {
				assert.True(t, sandbox.IsCode(err, tt.wantCode))
			}
			assert.False(t, sandbox.IsCode(err, sandbox.CodeConflict))
		})
	}
	t.Run("a 2xx that is not JSON", func(t *testing.T) {
		t.Parallel()
		f := newFakeSandbox(t, http.StatusOK, "<html>")
		_, err := newClient(t, f.url).GetClock(ctx)
		require.ErrorContains(t, err, "GET /sandbox/clock: unexpected answer")
	})
}

// TestClient_GetHealth tells a mock from a server that is not one, and
// both from one that does not answer.
func TestClient_GetHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr error
	}{
		{"mock", http.StatusOK, `{"status":"ok","version":"0.1.0","clock":"virtual"}`, nil},
		{"404 like WeChat Pay", http.StatusNotFound, `{"code":"NOT_FOUND","message":"Not Found"}`, sandbox.ErrNotMock},
		{"200 but HTML", http.StatusOK, "<html>", sandbox.ErrNotMock},
		{"JSON without ok", http.StatusOK, `{"status":"down"}`, sandbox.ErrNotMock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSandbox(t, tt.status, tt.body)
			h, err := newClient(t, f.url).GetHealth(context.Background())
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, sandbox.ClockVirtual, h.Clock)
			assert.JSONEq(t, tt.body, string(h.Raw()))
		})
	}
	t.Run("nothing answers", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(http.NotFoundHandler())
		ts.Close()
		_, err := newClient(t, ts.URL).GetHealth(context.Background())
		require.Error(t, err)
		assert.False(t, errors.Is(err, sandbox.ErrNotMock), "a transport error is not a verdict on the target")
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base string
		opts       []sandbox.Option
		wantErr    string
	}{
		{"not HTTP", "ftp://127.0.0.1:8080", nil, "scheme must be https or http"},
		{"query", "http://127.0.0.1:8080/?a=b", nil, "must not have a query"},
		{"nil HTTP client", "http://127.0.0.1:8080", []sandbox.Option{sandbox.WithHTTPClient(nil)}, "nil *http.Client"},
		{"trailing slash", "http://127.0.0.1:8080/", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sandbox.New(tt.base, tt.opts...)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}
