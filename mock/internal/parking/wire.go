package parking

import (
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The wire types of the parking API (protocol-parking.md §3–§7), checked
// against the documented JSON: requests as the mock decodes them, answers
// and callbacks as it writes them. Required numbers are pointers, so that
// an absent one is told from a zero.

// Plate colours (plate_color).
var plateColors = []string{"BLUE", "GREEN", "YELLOW", "BLACK", "WHITE", "LIMEGREEN"}

// TradeScenePARKING is the only trade_scene.
const TradeScenePARKING = "PARKING"

// PlateQuery is the query of GET /v3/vehicle/parking/services/find.
type PlateQuery struct {
	AppID, SubMchID, PlateNumber, PlateColor, OpenID string
}

// PlateService is the answer of services/find.
type PlateService struct {
	PlateNumber     string `json:"plate_number"`
	PlateColor      string `json:"plate_color"`
	ServiceOpenTime string `json:"service_open_time,omitempty"`
	OpenID          string `json:"openid"`
	ServiceState    string `json:"service_state"`
}

// CreateParkingRequest is the body of POST /v3/vehicle/parking/parkings.
type CreateParkingRequest struct {
	SubMchID     string `json:"sub_mchid,omitempty"`
	OutParkingNo string `json:"out_parking_no"`
	PlateNumber  string `json:"plate_number"`
	PlateColor   string `json:"plate_color"`
	NotifyURL    string `json:"notify_url"`
	StartTime    string `json:"start_time"`
	ParkingName  string `json:"parking_name"`
	FreeDuration *int64 `json:"free_duration"`
}

// Parking is a parking entry as the create call answers it.
type Parking struct {
	ID           string `json:"id"`
	OutParkingNo string `json:"out_parking_no"`
	PlateNumber  string `json:"plate_number"`
	PlateColor   string `json:"plate_color"`
	StartTime    string `json:"start_time"`
	ParkingName  string `json:"parking_name"`
	FreeDuration int64  `json:"free_duration"`
	State        string `json:"state"`
	BlockReason  string `json:"block_reason,omitempty"`
}

// ParkingView is an entry as the API shows it.
func ParkingView(p *store.Parking) Parking {
	return Parking{
		ID: p.ID, OutParkingNo: p.OutParkingNo, PlateNumber: p.PlateNumber, PlateColor: p.PlateColor,
		StartTime: p.StartTime, ParkingName: p.ParkingName, FreeDuration: p.FreeDuration, State: p.State, BlockReason: p.BlockReason,
	}
}

// CreateTransactionRequest is the body of POST
// /v3/vehicle/transactions/parking (扣费受理).
type CreateTransactionRequest struct {
	AppID         string              `json:"appid"`
	SubAppID      string              `json:"sub_appid,omitempty"`
	SubMchID      string              `json:"sub_mchid,omitempty"`
	Description   string              `json:"description"`
	Attach        string              `json:"attach,omitempty"`
	OutTradeNo    string              `json:"out_trade_no"`
	TradeScene    string              `json:"trade_scene"`
	GoodsTag      string              `json:"goods_tag,omitempty"`
	NotifyURL     string              `json:"notify_url"`
	ProfitSharing string              `json:"profit_sharing,omitempty"`
	Amount        *OrderAmount        `json:"amount"`
	ParkingInfo   *ParkingInfoRequest `json:"parking_info"`
}

// OrderAmount is a deduction's amount.
type OrderAmount struct {
	Total    *int64 `json:"total"`
	Currency string `json:"currency,omitempty"`
}

// ParkingInfoRequest is a deduction's parking_info: the entry it pays
// for, which it must name as the entry was created, and the stay.
type ParkingInfoRequest struct {
	ParkingID        string `json:"parking_id"`
	PlateNumber      string `json:"plate_number"`
	PlateColor       string `json:"plate_color"`
	StartTime        string `json:"start_time"`
	EndTime          string `json:"end_time"`
	ParkingName      string `json:"parking_name"`
	ChargingDuration *int64 `json:"charging_duration"`
	DeviceID         string `json:"device_id"`
}

// Transaction is a deduction as the acceptance, the query and the
// TRANSACTION.* callbacks show it. The calling merchant is sp_mchid, in
// direct mode too: the official SDK's model has no mchid.
type Transaction struct {
	AppID                 string       `json:"appid"`
	SubAppID              string       `json:"sub_appid,omitempty"`
	SpMchID               string       `json:"sp_mchid"`
	SubMchID              string       `json:"sub_mchid,omitempty"`
	Description           string       `json:"description"`
	CreateTime            string       `json:"create_time"`
	OutTradeNo            string       `json:"out_trade_no"`
	TransactionID         string       `json:"transaction_id,omitempty"`
	TradeState            string       `json:"trade_state"`
	TradeStateDescription string       `json:"trade_state_description,omitempty"`
	SuccessTime           string       `json:"success_time,omitempty"`
	BankType              string       `json:"bank_type,omitempty"`
	UserRepaid            string       `json:"user_repaid,omitempty"`
	Attach                string       `json:"attach,omitempty"`
	TradeScene            string       `json:"trade_scene"`
	ParkingInfo           *ParkingInfo `json:"parking_info,omitempty"`
	Payer                 Payer        `json:"payer"`
	Amount                Amount       `json:"amount"`
}

// ParkingInfo is the parking_info a transaction echoes.
type ParkingInfo struct {
	ParkingID        string `json:"parking_id"`
	PlateNumber      string `json:"plate_number"`
	PlateColor       string `json:"plate_color"`
	StartTime        string `json:"start_time"`
	EndTime          string `json:"end_time"`
	ParkingName      string `json:"parking_name"`
	ChargingDuration int64  `json:"charging_duration"`
	DeviceID         string `json:"device_id"`
}

// Payer is who pays: the user under appid, and under sub_appid when the
// deduction named one.
type Payer struct {
	OpenID    string `json:"openid"`
	SubOpenID string `json:"sub_openid,omitempty"`
}

// Amount is a transaction's amount; payer_total once paid.
type Amount struct {
	Total      int64  `json:"total"`
	Currency   string `json:"currency"`
	PayerTotal *int64 `json:"payer_total,omitempty"`
}

// TradeStateRefund is the trade_state a paid transaction shows once a
// refund of it was applied for (转入退款).
const TradeStateRefund = "REFUND"

// TransactionView is a transaction as the API shows it; refunded says
// whether a refund of it was applied for.
func TransactionView(t *store.ParkingTransaction, refunded bool) Transaction {
	v := Transaction{
		AppID: t.AppID, SubAppID: t.SubAppID, SpMchID: t.MchID, SubMchID: t.SubMchID, Description: t.Description,
		CreateTime: protocol.FormatRFC3339(t.CreatedAt), OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID,
		TradeState: t.TradeState, TradeStateDescription: t.TradeStateDescription, BankType: t.BankType,
		UserRepaid: t.UserRepaid, Attach: t.Attach, TradeScene: TradeScenePARKING,
		ParkingInfo: &ParkingInfo{
			ParkingID: t.ParkingID, PlateNumber: t.PlateNumber, PlateColor: t.PlateColor, StartTime: t.StartTime,
			EndTime: t.EndTime, ParkingName: t.ParkingName, ChargingDuration: t.ChargingDuration, DeviceID: t.DeviceID,
		},
		Payer:  Payer{OpenID: t.OpenID, SubOpenID: t.SubOpenID},
		Amount: Amount{Total: t.Total, Currency: t.Currency},
	}
	if !t.SuccessTime.IsZero() {
		v.SuccessTime = protocol.FormatRFC3339(t.SuccessTime)
		paid := t.Total
		v.Amount.PayerTotal = &paid
	}
	if refunded && t.TradeState == store.TradeSuccess {
		v.TradeState = TradeStateRefund
	}
	return v
}

// EntranceEvent is the resource of VEHICLE.ENTRANCE_STATE_CHANGE
// (protocol-parking.md §7.2). Its names differ from the entry's: id is
// parking_id, state parking_state, block_reason
// blocked_state_description (whose OUT_SERVICE is REMOVE).
type EntranceEvent struct {
	SpMchID                 string `json:"sp_mchid"`
	SubMchID                string `json:"sub_mchid,omitempty"`
	ParkingID               string `json:"parking_id"`
	OutParkingNo            string `json:"out_parking_no"`
	PlateNumber             string `json:"plate_number"`
	PlateColor              string `json:"plate_color"`
	StartTime               string `json:"start_time"`
	ParkingName             string `json:"parking_name"`
	FreeDuration            int64  `json:"free_duration"`
	ParkingState            string `json:"parking_state"`
	BlockedStateDescription string `json:"blocked_state_description,omitempty"`
	StateUpdateTime         string `json:"state_update_time"`
}

// BlockRemove is the callback's word for an entry blocked because the
// user removed the plate: the entry's OUT_SERVICE.
const BlockRemove = "REMOVE"

// entranceEvent is the callback about p's state at now.
func entranceEvent(p *store.Parking, now time.Time) EntranceEvent {
	desc := p.BlockReason
	if desc == store.BlockOutService {
		desc = BlockRemove
	}
	return EntranceEvent{
		SpMchID: p.MchID, SubMchID: p.SubMchID, ParkingID: p.ID, OutParkingNo: p.OutParkingNo,
		PlateNumber: p.PlateNumber, PlateColor: p.PlateColor, StartTime: p.StartTime, ParkingName: p.ParkingName,
		FreeDuration: p.FreeDuration, ParkingState: p.State, BlockedStateDescription: desc,
		StateUpdateTime: protocol.FormatRFC3339Milli(now),
	}
}
