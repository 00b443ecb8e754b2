package mock_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// The Pay Score parking API (protocol-parking.md), black box: the v3 calls
// signed as a merchant, the user played through the sandbox, callbacks
// verified and decrypted by the fixture's receiver.

const (
	testPlate   = "粤B888888"
	parkingName = "欢乐海岸停车场"
)

// parkingEntry is an entry as the create call answers it.
type parkingEntry struct {
	ID           string `json:"id"`
	OutParkingNo string `json:"out_parking_no"`
	PlateNumber  string `json:"plate_number"`
	PlateColor   string `json:"plate_color"`
	StartTime    string `json:"start_time"`
	ParkingName  string `json:"parking_name"`
	FreeDuration int64  `json:"free_duration"`
	State        string `json:"state"`
	BlockReason  string `json:"block_reason"`
}

// parkingTx is a deduction as the API answers it.
type parkingTx struct {
	AppID                 string `json:"appid"`
	SpMchID               string `json:"sp_mchid"`
	SubMchID              string `json:"sub_mchid"`
	MchID                 string `json:"mchid"`
	OutTradeNo            string `json:"out_trade_no"`
	TransactionID         string `json:"transaction_id"`
	TradeState            string `json:"trade_state"`
	TradeStateDescription string `json:"trade_state_description"`
	SuccessTime           string `json:"success_time"`
	BankType              string `json:"bank_type"`
	UserRepaid            string `json:"user_repaid"`
	TradeScene            string `json:"trade_scene"`
	ParkingInfo           struct {
		ParkingID string `json:"parking_id"`
		EndTime   string `json:"end_time"`
	} `json:"parking_info"`
	Payer struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	Amount struct {
		Total      int64  `json:"total"`
		Currency   string `json:"currency"`
		PayerTotal *int64 `json:"payer_total"`
	} `json:"amount"`
}

// setPlate plays the user who sets the service for a plate.
func (f *fixture) setPlate(openid, plate, state string) mock.Plate {
	f.t.Helper()
	p, err := f.srv.SetPlate(openid, plate, mock.PlateRequest{MchID: f.m.MchID, State: state})
	require.NoError(f.t, err)
	f.settle()
	return p
}

// entryBody is a valid entry of plate that started at start.
func (f *fixture) entryBody(no, plate string, start time.Time) map[string]any {
	return map[string]any{
		"out_parking_no": no, "plate_number": plate, "plate_color": "BLUE", "notify_url": f.rc.url(),
		"start_time": protocol.FormatRFC3339(start), "parking_name": parkingName, "free_duration": 3600,
	}
}

// enter creates an entry of plate that started a minute ago.
func (f *fixture) enter(no, plate string) parkingEntry {
	f.t.Helper()
	var e parkingEntry
	status, eb := f.v3("POST", "/v3/vehicle/parking/parkings", f.entryBody(no, plate, f.now().Add(-time.Minute)), &e)
	require.Equal(f.t, 200, status, "%+v", eb)
	return e
}

// deductBody is a valid deduction of amount for e, leaving now.
func (f *fixture) deductBody(no string, e parkingEntry, amount int64) map[string]any {
	return map[string]any{
		"appid": f.appid(), "description": "停车场扣费", "out_trade_no": no, "trade_scene": "PARKING",
		"notify_url": f.rc.url(), "amount": map[string]any{"total": amount, "currency": "CNY"},
		"parking_info": map[string]any{
			"parking_id": e.ID, "plate_number": e.PlateNumber, "plate_color": e.PlateColor, "start_time": e.StartTime,
			"end_time": protocol.FormatRFC3339(f.now()), "parking_name": e.ParkingName, "charging_duration": 3600, "device_id": "GATE-1",
		},
	}
}

// deduct asks for a deduction and returns the status, error and answer.
func (f *fixture) deduct(no string, e parkingEntry, amount int64) (int, errorBody, parkingTx) {
	f.t.Helper()
	var tx parkingTx
	status, eb := f.v3("POST", "/v3/vehicle/transactions/parking", f.deductBody(no, e, amount), &tx)
	return status, eb, tx
}

func (f *fixture) mustDeduct(no string, e parkingEntry, amount int64) parkingTx {
	f.t.Helper()
	status, eb, tx := f.deduct(no, e, amount)
	require.Equal(f.t, 200, status, "%+v", eb)
	return tx
}

// queryParking queries a deduction.
func (f *fixture) queryParking(no string) parkingTx {
	f.t.Helper()
	var tx parkingTx
	status, eb := f.v3("GET", "/v3/vehicle/transactions/out-trade-no/"+url.PathEscape(no), nil, &tx)
	require.Equal(f.t, 200, status, "%+v", eb)
	return tx
}

// findPlate asks services/find about a user's plate.
func (f *fixture) findPlate(openid, plate string) map[string]any {
	f.t.Helper()
	q := url.Values{"appid": {f.appid()}, "openid": {openid}, "plate_number": {plate}, "plate_color": {"BLUE"}}
	var out map[string]any
	status, eb := f.v3("GET", "/v3/vehicle/parking/services/find?"+q.Encode(), nil, &out)
	require.Equal(f.t, 200, status, "%+v", eb)
	return out
}

// entryEvents are the entry callbacks received about out_parking_no:
// parking_state, with blocked_state_description when blocked.
func (f *fixture) entryEvents(outParkingNo string) []string {
	var out []string
	for _, c := range f.rc.callbacks() {
		if c.EventType == "VEHICLE.ENTRANCE_STATE_CHANGE" && c.Resource["out_parking_no"] == outParkingNo {
			s := c.Resource["parking_state"].(string)
			if d, _ := c.Resource["blocked_state_description"].(string); d != "" {
				s += "/" + d
			}
			out = append(out, s)
		}
	}
	return out
}

// transactionEvents are the TRANSACTION.* callbacks received about
// out_trade_no, with their trade_state (and user_repaid when set).
func (f *fixture) transactionEvents(outTradeNo string) []string {
	var out []string
	for _, c := range f.rc.callbacks() {
		if strings.HasPrefix(c.EventType, "TRANSACTION.") && c.Resource["out_trade_no"] == outTradeNo {
			s := c.EventType + " " + c.Resource["trade_state"].(string)
			if r, _ := c.Resource["user_repaid"].(string); r != "" {
				s += " user_repaid=" + r
			}
			out = append(out, s)
		}
	}
	return out
}

// The whole stay of a direct merchant's car: the plate is opened, the car
// enters, leaves and is charged; the merchant reads the result from the
// callback and the query, and the sandbox shows the deduction with its
// timeline.
func TestParking_Flow(t *testing.T) {
	f := newFixture(t)
	const openid = "oDriver"
	assert.Equal(t, "OUT_SERVICE", f.findPlate(openid, testPlate)["service_state"], "a plate never opened")
	assert.NotContains(t, f.findPlate(openid, testPlate), "service_open_time")

	p := f.setPlate(openid, testPlate, "NORMAL")
	assert.Equal(t, "NORMAL", p.ServiceState)
	found := f.findPlate(openid, testPlate)
	assert.Equal(t, "NORMAL", found["service_state"])
	assert.Equal(t, protocol.FormatRFC3339(f.now()), found["service_open_time"])
	assert.Equal(t, openid, found["openid"])

	e := f.enter("IN-1", testPlate)
	assert.Equal(t, "NORMAL", e.State)
	assert.Empty(t, e.BlockReason)
	assert.Len(t, e.ID, 19)
	assert.Equal(t, int64(3600), e.FreeDuration)
	u, err := f.srv.User(openid)
	require.NoError(t, err)
	require.Len(t, u.Plates, 1)
	require.NotNil(t, u.Plates[0].Entry, "the sandbox shows the plate's open entry")
	assert.Equal(t, e.ID, u.Plates[0].Entry.ID)

	f.advance(2 * time.Hour)
	tx := f.mustDeduct("PK-1", e, 1500)
	assert.Equal(t, "ACCEPTED", tx.TradeState)
	assert.Equal(t, f.m.MchID, tx.SpMchID, "a direct merchant is named in sp_mchid")
	assert.Empty(t, tx.MchID)
	assert.Equal(t, openid, tx.Payer.OpenID)
	assert.Empty(t, tx.TransactionID)
	assert.Equal(t, "ACCEPTED", f.queryParking("PK-1").TradeState)

	f.advance(5 * time.Second)
	paid := f.queryParking("PK-1")
	assert.Equal(t, "SUCCESS", paid.TradeState)
	assert.Len(t, paid.TransactionID, 28)
	assert.Equal(t, "OTHERS", paid.BankType)
	assert.Empty(t, paid.UserRepaid)
	require.NotNil(t, paid.Amount.PayerTotal)
	assert.Equal(t, int64(1500), *paid.Amount.PayerTotal)
	assert.Equal(t, protocol.FormatRFC3339(f.now()), paid.SuccessTime)
	assert.Equal(t, []string{"TRANSACTION.SUCCESS SUCCESS"}, f.transactionEvents("PK-1"))
	assert.Empty(t, f.entryEvents("IN-1"), "nothing changed while the car was parked")

	so, err := f.srv.Order(f.m.MchID, "", "PK-1")
	require.NoError(t, err)
	assert.Equal(t, "parking", so.Kind)
	assert.Equal(t, "SUCCESS", so.State)
	var kinds []string
	for _, e := range so.Timeline {
		kinds = append(kinds, e.Type)
	}
	assert.Equal(t, []string{"api", "state", "api", "deduction", "state", "notification", "callback", "api"}, kinds, "%+v", so.Timeline)
	listed, err := f.srv.Orders(mock.OrderFilter{MchID: f.m.MchID, Kind: "parking"})
	require.NoError(t, err)
	require.Len(t, listed, 1)
	assert.Equal(t, "PK-1", listed[0].OutOrderNo)

	ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.m.MchID, OutOrderNo: "PK-1"})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, "delivered", ns[0].State)
	again, err := f.srv.Redeliver(ns[0].ID)
	require.NoError(t, err)
	assert.Len(t, again.Attempts, 2)
	assert.Equal(t, []string{"TRANSACTION.SUCCESS SUCCESS", "TRANSACTION.SUCCESS SUCCESS"}, f.transactionEvents("PK-1"), "redelivered with its envelope id")
}

// The order listing pages service orders and parking deductions as one,
// in the order they were made: following the cursor visits each once.
func TestParking_ListedWithOrders(t *testing.T) {
	f := newFixture(t)
	f.authorize("oPaged")
	f.setPlate("oPaged", "粤B300001", "NORMAL")
	f.mustCreate("PAGED-1", false, "oPaged")
	e := f.enter("PAGED-IN", "粤B300001")
	f.mustDeduct("PAGED-PK", e, 500)
	f.mustCreate("PAGED-2", false, "oPaged")

	var seen []string
	after := ""
	for range 10 {
		page, next, err := f.srv.OrdersPage(mock.OrderFilter{MchID: f.m.MchID}, mock.Page{Limit: 1, After: after})
		require.NoError(t, err)
		for _, o := range page {
			seen = append(seen, o.Kind+" "+o.OutOrderNo)
		}
		if next == "" {
			break
		}
		after = next
	}
	assert.Equal(t, []string{"serviceorder PAGED-2", "parking PAGED-PK", "serviceorder PAGED-1"}, seen, "newest first, each once")

	parked, err := f.srv.Orders(mock.OrderFilter{MchID: f.m.MchID, Kind: "parking"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	assert.Equal(t, "PAGED-PK", parked[0].OutOrderNo)
}

// Removing a merchant takes its parking deductions' pending attempts off
// the clock, as it does the rest of its work; a reset does too.
func TestParking_RemovalDropsItsWork(t *testing.T) {
	f := newFixture(t)
	f.setPlate("oReset", "粤B300002", "NORMAL")
	e := f.enter("RESET-IN", "粤B300002")
	f.mustDeduct("RESET-PK", e, 500) // settled 5 s later, on the clock
	require.NotEmpty(t, f.srv.ClockState().Pending)
	require.NoError(t, f.srv.DeleteMerchant(f.m.MchID))
	assert.Empty(t, f.srv.ClockState().Pending, "the merchant's parking work left with it")
	fired, err := f.srv.Advance(time.Minute)
	require.NoError(t, err)
	assert.Empty(t, fired)
}
