package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

// TestParking_Flow runs Pay Score parking through the client against the
// in-process mock: a paid stay, a stay the wallet cannot pay, and a stay
// whose driver pauses the service while parked; every callback verified,
// decrypted and decoded into its typed payload.
func TestParking_Flow(t *testing.T) {
	e := newPayscoreEnv(t)
	ctx := context.Background()
	stays := []struct{ openid, plate, outParkingNo, outTradeNo string }{
		{"oClientPaid", "粤B300001", "IN-CL-1", "PK-CL-1"},
		{"oClientShort", "粤B300002", "IN-CL-2", "PK-CL-2"},
		{"oClientPause", "粤B300003", "IN-CL-3", "PK-CL-3"},
	}
	entries := map[string]*client.Parking{}
	for _, s := range stays {
		ps, err := e.c.QueryPlateService(ctx, client.QueryPlateServiceRequest{AppID: e.appID, PlateNumber: s.plate, OpenID: s.openid})
		require.NoError(t, err)
		assert.Equal(t, client.PlateServiceOutService, ps.ServiceState)
		_, err = e.srv.SetPlate(s.openid, s.plate, mock.PlateRequest{MchID: e.mchID, State: "NORMAL"})
		require.NoError(t, err)
		ps, err = e.c.QueryPlateService(ctx, client.QueryPlateServiceRequest{AppID: e.appID, PlateNumber: s.plate, OpenID: s.openid})
		require.NoError(t, err)
		assert.Equal(t, client.PlateServiceNormal, ps.ServiceState)
		assert.Equal(t, client.TimeRFC3339(e.now()), ps.ServiceOpenTime)

		p, err := e.c.CreateParking(ctx, client.CreateParkingRequest{
			OutParkingNo: s.outParkingNo, PlateNumber: s.plate, PlateColor: client.PlateBlue, NotifyURL: e.notifyURL,
			StartTime: client.TimeRFC3339(e.now()), ParkingName: "望京停车场", FreeDuration: 900,
		})
		require.NoError(t, err)
		assert.Equal(t, client.ParkingNormal, p.State)
		entries[s.openid] = p
	}
	require.NoError(t, e.srv.SetWallet("oClientShort", mock.Wallet{Balance: client.Fen(100)}))
	e.advance(t, 2*time.Hour)
	_, err := e.srv.SetPlate("oClientPause", "粤B300003", mock.PlateRequest{MchID: e.mchID, State: "PAUSE"})
	require.NoError(t, err)
	e.settle()
	ev, err := e.inbox.only(t, client.EventEntranceStateChange).ParkingEntranceEvent()
	require.NoError(t, err)
	assert.Equal(t, client.ParkingBlocked, ev.ParkingState)
	assert.Equal(t, client.BlockPause, ev.BlockedStateDescription)
	assert.Equal(t, entries["oClientPause"].ID, ev.ParkingID)

	for _, s := range stays {
		p := entries[s.openid]
		tx, err := e.c.CreateParkingTransaction(ctx, client.CreateParkingTransactionRequest{
			AppID: e.appID, Description: "停车费", OutTradeNo: s.outTradeNo, NotifyURL: e.notifyURL,
			Amount: client.ParkingOrderAmount{Total: 1800, Currency: client.CurrencyCNY},
			ParkingInfo: client.ParkingInfo{
				ParkingID: p.ID, PlateNumber: p.PlateNumber, PlateColor: p.PlateColor, StartTime: p.StartTime,
				EndTime: client.TimeRFC3339(e.now()), ParkingName: p.ParkingName, ChargingDuration: 7200, DeviceID: "GATE-2",
			},
		})
		if s.openid == "oClientPause" {
			assert.True(t, client.IsCode(err, client.CodeInvalidRequest), "a BLOCKED entry pays for nothing: %v", err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, client.TradeAccepted, tx.TradeState)
		assert.Equal(t, e.mchID, tx.SpMchID)
	}
	e.advance(t, time.Minute)

	paid, err := e.c.QueryParkingTransaction(ctx, client.QueryParkingTransactionRequest{OutTradeNo: "PK-CL-1"})
	require.NoError(t, err)
	assert.Equal(t, client.TradeSuccess, paid.TradeState)
	assert.False(t, paid.Advanced())
	assert.Equal(t, int64(1800), paid.Amount.PayerTotal)
	success, err := e.inbox.only(t, client.EventTransactionSuccess).ParkingTransactionEvent()
	require.NoError(t, err)
	assert.Equal(t, "PK-CL-1", success.OutTradeNo)
	assert.Equal(t, paid.TransactionID, success.TransactionID)
	failed, err := e.inbox.only(t, client.EventTransactionFail).ParkingTransactionEvent()
	require.NoError(t, err)
	assert.Equal(t, "PK-CL-2", failed.OutTradeNo)
	assert.Equal(t, client.TradePayFail, failed.TradeState)

	_, err = e.c.QueryParkingTransaction(ctx, client.QueryParkingTransactionRequest{OutTradeNo: "PK-CL-3"})
	assert.True(t, client.IsCode(err, client.CodeOrderNotExist), "%v", err)
	_, err = e.inbox.only(t, client.EventTransactionSuccess).ParkingEntranceEvent()
	assert.Error(t, err, "a transaction callback is no entry callback")
}

// Requests that cannot be right are refused before anything is sent.
func TestParking_Validation(t *testing.T) {
	e := newPayscoreEnv(t)
	ctx := context.Background()
	valid := client.CreateParkingTransactionRequest{
		AppID: "wx1", Description: "停车费", OutTradeNo: "PK-1", NotifyURL: "https://example.com/n",
		Amount: client.ParkingOrderAmount{Total: 100},
		ParkingInfo: client.ParkingInfo{
			ParkingID: "P1", PlateNumber: "粤B888888", PlateColor: client.PlateBlue, StartTime: "2026-12-01T09:00:00+08:00",
			EndTime: "2026-12-01T10:00:00+08:00", ParkingName: "停车场", DeviceID: "G1",
		},
	}
	tests := []struct {
		name  string
		edit  func(r *client.CreateParkingTransactionRequest)
		field string
	}{
		{"out_trade_no with a pipe", func(r *client.CreateParkingTransactionRequest) { r.OutTradeNo = "PK|1" }, "/out_trade_no"},
		{"no total", func(r *client.CreateParkingTransactionRequest) { r.Amount.Total = 0 }, "/amount/total"},
		{"a plate with a separator", func(r *client.CreateParkingTransactionRequest) { r.ParkingInfo.PlateNumber = "粤B·88888" }, "/parking_info/plate_number"},
		{"an unknown colour", func(r *client.CreateParkingTransactionRequest) { r.ParkingInfo.PlateColor = "RED" }, "/parking_info/plate_color"},
		{"a 14-digit time", func(r *client.CreateParkingTransactionRequest) { r.ParkingInfo.EndTime = "20261201100000" }, "/parking_info/end_time"},
		{"leaving before entering", func(r *client.CreateParkingTransactionRequest) { r.ParkingInfo.EndTime = r.ParkingInfo.StartTime }, "/parking_info/end_time"},
		{"another trade scene", func(r *client.CreateParkingTransactionRequest) { r.TradeScene = "PARKING_SPACE" }, "/trade_scene"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := valid
			tt.edit(&req)
			before := len(e.rec.all())
			_, err := e.c.CreateParkingTransaction(ctx, req)
			var ve *client.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, before, len(e.rec.all()), "nothing was sent")
		})
	}
}

// WeChat Pay's callback tables spell the waiting state ACCEPT; the client
// reads it as ACCEPTED.
func TestTradeState_ReadsAccept(t *testing.T) {
	var tx client.ParkingTransaction
	require.NoError(t, json.Unmarshal([]byte(`{"trade_state":"ACCEPT","bank_type":"BPA","user_repaid":"Y"}`), &tx))
	assert.Equal(t, client.TradeAccepted, tx.TradeState)
	assert.True(t, tx.Advanced())
	assert.True(t, tx.Repaid())
}
