package mock_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// TestRecipe_InProcess is the in-process CI recipe of docs/ci.md, kept
// runnable: a merchant's integration test against mock.NewTestServer, with
// its own merchant, its own notify_url and the virtual clock.
func TestRecipe_InProcess(t *testing.T) {
	ctx := context.Background()
	srv, api := mock.NewTestServer(t, mock.Options{}) // virtual clock at mock.TestStart

	// The merchant's site, which serves its notify_url.
	mux := http.NewServeMux()
	site := httptest.NewServer(mux)
	defer site.Close()

	// A merchant of the test's own: parallel tests never see each other's data.
	m, err := srv.CreateMerchant(mock.MerchantSpec{NotifyURL: site.URL + "/notify"})
	require.NoError(t, err)

	// The integration under test, configured with api.URL and m's credentials.
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	require.NoError(t, err)
	c, err := client.New(client.Config{MchID: m.MchID, SerialNo: m.SerialNo, PrivateKey: key, APIv3Key: m.APIv3Key},
		client.WithBaseURL(api.URL))
	require.NoError(t, err)

	// Its callback handler verifies and decrypts each callback.
	var mu sync.Mutex
	var events []string
	mux.Handle("/notify", c.NotificationHandler(func(_ context.Context, n *client.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, n.EventType)
		return nil
	}))

	// The WeChat user's part, played in-process.
	_, err = srv.AuthorizeUser("oUser1", mock.AuthorizeRequest{MchID: m.MchID})
	require.NoError(t, err)

	_, err = c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
		OutOrderNo: "RIDE-1", AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0], OpenID: "oUser1",
		NeedUserConfirm: client.Bool(false), ServiceIntroduction: "网约车出行",
		PostPayments: []client.Payment{{Name: "预估车费", Amount: client.Fen(5000)}},
		RiskFund:     client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 5000},
		TimeRange:    client.TimeRange{StartTime: client.Time14(srv.Clock().Now())},
		NotifyURL:    site.URL + "/notify",
	})
	require.NoError(t, err)
	_, err = srv.Advance(20 * time.Minute) // the ride
	require.NoError(t, err)
	_, err = c.CompleteServiceOrder(ctx, client.CompleteServiceOrderRequest{
		OutOrderNo: "RIDE-1", AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0],
		PostPayments: []client.Payment{{Name: "车费", Amount: client.Fen(4200)}},
		TotalAmount:  4200,
		TimeRange:    client.TimeRange{EndTime: client.Time14(srv.Clock().Now())},
	})
	require.NoError(t, err)
	_, err = srv.Advance(5 * time.Second) // WeChat Pay deducts and calls back
	require.NoError(t, err)

	order, err := srv.Order(m.MchID, "", "RIDE-1")
	require.NoError(t, err)
	assert.Equal(t, "DONE", order.State)
	notes, err := srv.Notifications(mock.NotificationFilter{MchID: m.MchID, EventType: "PAYSCORE.USER_PAID"})
	require.NoError(t, err)
	require.Len(t, notes, 1)
	assert.Equal(t, "delivered", notes[0].State)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID"}, events)
}
