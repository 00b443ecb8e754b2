package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// Pay Score parking (微信支付分停车, protocol-parking.md): a car park
// charges a driver's Pay Score after the car leaves. The driver opens the
// service for a plate once, in WeChat; the merchant checks the plate
// (QueryPlateService), announces each entry (CreateParking) and, when the
// car leaves, asks for the fee (CreateParkingTransaction), which WeChat Pay
// accepts at once and deducts later: TRANSACTION.SUCCESS or
// TRANSACTION.FAIL follows, and QueryParkingTransaction tells where it
// stands. VEHICLE.ENTRANCE_STATE_CHANGE reports an open entry becoming
// unusable (BLOCKED) or usable again.
//
// Direct merchants and service providers call the same paths: a service
// provider sets SubMchID (and may set SubAppID) on every request. Times are
// RFC 3339 (see TimeRFC3339), not the 14-digit times of Pay Score orders.
//
// Reference: https://pay.weixin.qq.com/docs/merchant/products/wexin-pay-score-parking/apilist.html

// Event types of the parking callbacks (Notification.EventType).
const (
	// EventEntranceStateChange: an open entry became BLOCKED or NORMAL
	// again; sent to the entry's notify_url. Payload: ParkingEntranceEvent.
	EventEntranceStateChange = "VEHICLE.ENTRANCE_STATE_CHANGE"
	// EventTransactionSuccess: a deduction was paid, possibly by WeChat
	// Pay's advance (ParkingTransaction.Advanced); EventTransactionFail: it
	// failed (PAY_FAIL); EventTransactionPayBack: the user repaid an
	// advance. Sent to the deduction's notify_url. Payload:
	// ParkingTransactionEvent.
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventTransactionFail    = "TRANSACTION.FAIL"
	EventTransactionPayBack = "TRANSACTION.PAY_BACK"
)

// TimeRFC3339 renders t the way the parking API writes times: RFC 3339 in
// Beijing time, e.g. 2026-12-01T09:00:00+08:00.
func TimeRFC3339(t time.Time) string { return protocol.FormatRFC3339(t) }

// PlateColor is a licence plate's colour.
type PlateColor string

// Plate colours.
const (
	PlateBlue      PlateColor = "BLUE"
	PlateGreen     PlateColor = "GREEN"
	PlateYellow    PlateColor = "YELLOW"
	PlateBlack     PlateColor = "BLACK"
	PlateWhite     PlateColor = "WHITE"
	PlateLimeGreen PlateColor = "LIMEGREEN"
)

func (c PlateColor) valid() bool {
	switch c {
	case PlateBlue, PlateGreen, PlateYellow, PlateBlack, PlateWhite, PlateLimeGreen:
		return true
	}
	return false
}

// PlateServiceState is whether a user has the parking service on for a
// plate.
type PlateServiceState string

// Plate service states.
const (
	PlateServiceNormal     PlateServiceState = "NORMAL"      // on: entries are usable
	PlateServicePause      PlateServiceState = "PAUSE"       // paused by the user: send them to manage the plate
	PlateServiceOutService PlateServiceState = "OUT_SERVICE" // not opened: send them to open it
)

// ParkingState is whether Pay Score parking can pay for a stay.
type ParkingState string

// Parking entry states.
const (
	ParkingNormal  ParkingState = "NORMAL"
	ParkingBlocked ParkingState = "BLOCKED"
)

// BlockReason is why an entry is BLOCKED.
type BlockReason string

// Block reasons. An entry's answer may say BlockPause, BlockOverdue,
// BlockOutService or BlockEvaluationFailed; its callback says BlockPause,
// BlockOverdue or BlockRemove (the user removed the plate).
const (
	BlockPause            BlockReason = "PAUSE"             // the user paused the service
	BlockOverdue          BlockReason = "OVERDUE"           // the user owes WeChat Pay: prompt them to repay
	BlockOutService       BlockReason = "OUT_SERVICE"       // the plate's service is not open
	BlockEvaluationFailed BlockReason = "EVALUATION_FAILED" // the user's Pay Score assessment failed
	BlockRemove           BlockReason = "REMOVE"            // the user removed the plate
)

// TradeState is where a parking deduction stands.
type TradeState string

// Parking deduction states.
const (
	TradeAccepted TradeState = "ACCEPTED" // accepted; the deduction is still to come
	TradeSuccess  TradeState = "SUCCESS"  // paid (see ParkingTransaction.Advanced)
	TradePayFail  TradeState = "PAY_FAIL" // the deduction failed
	TradeRefund   TradeState = "REFUND"   // paid, then refunded (转入退款)
)

// UnmarshalText reads a trade state, taking ACCEPT, as some of WeChat
// Pay's callback tables spell it, for ACCEPTED.
func (s *TradeState) UnmarshalText(b []byte) error {
	*s = TradeState(b)
	if *s == "ACCEPT" {
		*s = TradeAccepted
	}
	return nil
}

// TradeSceneParking is the only trade scene of a parking deduction.
const TradeSceneParking = "PARKING"

// BankTypeAdvance is the bank_type of a deduction WeChat Pay paid by
// advancing the money (垫资), which the user owes it until repaid.
const BankTypeAdvance = "BPA"

// QueryPlateServiceRequest is the query of GET
// /v3/vehicle/parking/services/find (查询车牌服务开通信息).
type QueryPlateServiceRequest struct {
	AppID       string     // the appid the openid belongs to
	SubMchID    string     // a service provider's sub-merchant; empty for a direct merchant
	PlateNumber string     // province character and plate, no separators: 粤B888888
	PlateColor  PlateColor // PlateBlue when left empty
	OpenID      string     // the user
}

func (r QueryPlateServiceRequest) validate() error {
	var v validator
	v.required("appid", r.AppID, 32)
	v.optional("sub_mchid", r.SubMchID, 32)
	v.plate("plate_number", "plate_color", r.PlateNumber, r.PlateColor)
	v.required("openid", r.OpenID, 128)
	return v.err()
}

// PlateService is a user's parking service for a plate.
type PlateService struct {
	PlateNumber string     `json:"plate_number"`
	PlateColor  PlateColor `json:"plate_color"`
	// ServiceOpenTime (RFC 3339) is when the user opened it; empty when it
	// is OUT_SERVICE.
	ServiceOpenTime string            `json:"service_open_time,omitempty"`
	OpenID          string            `json:"openid"`
	ServiceState    PlateServiceState `json:"service_state"`
}

// QueryPlateService asks whether a user has the parking service on for a
// plate: GET /v3/vehicle/parking/services/find. A plate never opened is
// PlateServiceOutService, not an error.
func (c *Client) QueryPlateService(ctx context.Context, req QueryPlateServiceRequest) (*PlateService, error) {
	if req.PlateColor == "" {
		req.PlateColor = PlateBlue
	}
	q := url.Values{"appid": {req.AppID}, "plate_number": {req.PlateNumber}, "plate_color": {string(req.PlateColor)}, "openid": {req.OpenID}}
	if req.SubMchID != "" {
		q.Set("sub_mchid", req.SubMchID)
	}
	return send[PlateService](ctx, c, http.MethodGet, "/v3/vehicle/parking/services/find", q, req.validate(), nil)
}

// CreateParkingRequest is the body of POST /v3/vehicle/parking/parkings
// (创建停车入场).
type CreateParkingRequest struct {
	SubMchID string `json:"sub_mchid,omitempty"` // a service provider's sub-merchant
	// OutParkingNo is the merchant's id of the entry, unique per merchant.
	OutParkingNo string     `json:"out_parking_no"`
	PlateNumber  string     `json:"plate_number"`
	PlateColor   PlateColor `json:"plate_color"`
	// NotifyURL receives VEHICLE.ENTRANCE_STATE_CHANGE for this entry.
	NotifyURL   string `json:"notify_url"`
	StartTime   string `json:"start_time"` // RFC 3339 (TimeRFC3339): the car entered
	ParkingName string `json:"parking_name"`
	// FreeDuration is the car park's free period, in seconds.
	FreeDuration int64 `json:"free_duration"`
}

func (r CreateParkingRequest) validate() error {
	var v validator
	v.optional("/sub_mchid", r.SubMchID, 32)
	v.required("/out_parking_no", r.OutParkingNo, 64)
	v.plate("/plate_number", "/plate_color", r.PlateNumber, r.PlateColor)
	v.required("/notify_url", r.NotifyURL, 255)
	v.notifyURL("/notify_url", r.NotifyURL)
	v.rfc3339("/start_time", r.StartTime)
	v.required("/parking_name", r.ParkingName, 128)
	if r.FreeDuration < 0 {
		v.failf("/free_duration", "must not be negative, is %d", r.FreeDuration)
	}
	return v.err()
}

// Parking is a parking entry: WeChat Pay's ID, which a deduction names as
// its ParkingInfo.ParkingID, and whether Pay Score can pay for the stay.
type Parking struct {
	ID           string       `json:"id"`
	OutParkingNo string       `json:"out_parking_no"`
	PlateNumber  string       `json:"plate_number"`
	PlateColor   PlateColor   `json:"plate_color"`
	StartTime    string       `json:"start_time"`
	ParkingName  string       `json:"parking_name"`
	FreeDuration int64        `json:"free_duration"`
	State        ParkingState `json:"state"`
	BlockReason  BlockReason  `json:"block_reason,omitempty"` // when BLOCKED
}

// CreateParking announces a car's entry: POST /v3/vehicle/parking/parkings.
// The answer's State says whether Pay Score can pay for the stay; a plate
// has one valid entry at a time, the latest.
func (c *Client) CreateParking(ctx context.Context, req CreateParkingRequest) (*Parking, error) {
	return send[Parking](ctx, c, http.MethodPost, "/v3/vehicle/parking/parkings", nil, req.validate(), req)
}

// ParkingInfo is the stay a deduction pays for: the entry as it was
// created, and the exit.
type ParkingInfo struct {
	ParkingID   string     `json:"parking_id"` // Parking.ID of the entry
	PlateNumber string     `json:"plate_number"`
	PlateColor  PlateColor `json:"plate_color"`
	StartTime   string     `json:"start_time"` // the entry's, RFC 3339
	EndTime     string     `json:"end_time"`   // the exit, RFC 3339: after StartTime, not after the call
	ParkingName string     `json:"parking_name"`
	// ChargingDuration is the billed time, in seconds.
	ChargingDuration int64  `json:"charging_duration"`
	DeviceID         string `json:"device_id"` // the car park's device
}

// ParkingOrderAmount is a deduction's amount.
type ParkingOrderAmount struct {
	Total    int64  `json:"total"`              // fen, > 0
	Currency string `json:"currency,omitempty"` // CurrencyCNY
}

// CreateParkingTransactionRequest is the body of POST
// /v3/vehicle/transactions/parking (扣费受理).
type CreateParkingTransactionRequest struct {
	AppID    string `json:"appid"`
	SubAppID string `json:"sub_appid,omitempty"` // a sub-merchant's appid, shown on the charge
	SubMchID string `json:"sub_mchid,omitempty"` // a service provider's sub-merchant: the entry's
	// Description is shown in the user's bill.
	Description string `json:"description"`
	Attach      string `json:"attach,omitempty"` // echoed in the query and the callbacks
	// OutTradeNo is the merchant's order number: 1–32 of [0-9A-Za-z_-*],
	// unique per merchant. A retry with the same number and parameters is
	// answered with the deduction as it stands.
	OutTradeNo string `json:"out_trade_no"`
	// TradeScene is TradeSceneParking; left empty, it is set to it.
	TradeScene    string             `json:"trade_scene"`
	GoodsTag      string             `json:"goods_tag,omitempty"`
	NotifyURL     string             `json:"notify_url"`               // receives TRANSACTION.*
	ProfitSharing string             `json:"profit_sharing,omitempty"` // "Y" or "N"
	Amount        ParkingOrderAmount `json:"amount"`
	ParkingInfo   ParkingInfo        `json:"parking_info"`
}

func (r CreateParkingTransactionRequest) validate() error {
	var v validator
	v.required("/appid", r.AppID, 32)
	v.optional("/sub_appid", r.SubAppID, 32)
	v.optional("/sub_mchid", r.SubMchID, 32)
	v.required("/description", r.Description, 128)
	v.optional("/attach", r.Attach, 128)
	v.required("/out_trade_no", r.OutTradeNo, 32)
	v.charset("/out_trade_no", r.OutTradeNo, "_-*")
	if r.TradeScene != TradeSceneParking {
		v.failf("/trade_scene", "is %q; a parking deduction's is %s", r.TradeScene, TradeSceneParking)
	}
	v.optional("/goods_tag", r.GoodsTag, 32)
	v.required("/notify_url", r.NotifyURL, 255)
	v.notifyURL("/notify_url", r.NotifyURL)
	switch r.ProfitSharing {
	case "", "Y", "N":
	default:
		v.failf("/profit_sharing", "is %q; want Y or N", r.ProfitSharing)
	}
	if r.Amount.Total <= 0 {
		v.failf("/amount/total", "must be positive, is %d", r.Amount.Total)
	}
	if r.Amount.Currency != "" && r.Amount.Currency != CurrencyCNY {
		v.failf("/amount/currency", "is %q; parking deductions are in %s", r.Amount.Currency, CurrencyCNY)
	}
	p := r.ParkingInfo
	v.required("/parking_info/parking_id", p.ParkingID, 32)
	v.plate("/parking_info/plate_number", "/parking_info/plate_color", p.PlateNumber, p.PlateColor)
	v.rfc3339("/parking_info/start_time", p.StartTime)
	v.rfc3339("/parking_info/end_time", p.EndTime)
	if start, err := time.Parse(time.RFC3339, p.StartTime); err == nil {
		if end, err := time.Parse(time.RFC3339, p.EndTime); err == nil && !end.After(start) {
			v.failf("/parking_info/end_time", "is %s, which must be after start_time %s", p.EndTime, p.StartTime)
		}
	}
	v.required("/parking_info/parking_name", p.ParkingName, 128)
	if p.ChargingDuration < 0 {
		v.failf("/parking_info/charging_duration", "must not be negative, is %d", p.ChargingDuration)
	}
	v.required("/parking_info/device_id", p.DeviceID, 32)
	return v.err()
}

// ParkingPayer is who pays a deduction.
type ParkingPayer struct {
	OpenID    string `json:"openid"`
	SubOpenID string `json:"sub_openid,omitempty"` // under SubAppID, when the deduction named one
}

// ParkingAmount is a deduction's amount as WeChat Pay reports it.
type ParkingAmount struct {
	Total         int64  `json:"total"`
	Currency      string `json:"currency,omitempty"`
	PayerTotal    int64  `json:"payer_total,omitempty"`    // what the user paid, once paid
	DiscountTotal int64  `json:"discount_total,omitempty"` // coupons
}

// ParkingPromotion is a coupon applied to a deduction.
type ParkingPromotion struct {
	CouponID            string `json:"coupon_id"`
	Name                string `json:"name,omitempty"`
	Scope               string `json:"scope,omitempty"` // GLOBAL or SINGLE
	Type                string `json:"type,omitempty"`  // CASH or NOCASH
	StockID             string `json:"stock_id,omitempty"`
	Amount              int64  `json:"amount"`
	WechatpayContribute int64  `json:"wechatpay_contribute,omitempty"`
	MerchantContribute  int64  `json:"merchant_contribute,omitempty"`
	OtherContribute     int64  `json:"other_contribute,omitempty"`
	Currency            string `json:"currency,omitempty"`
}

// ParkingTransaction is a parking deduction as WeChat Pay answers it and
// as the TRANSACTION.* callbacks carry it. The calling merchant is
// SpMchID, a direct merchant too: there is no mchid field.
type ParkingTransaction struct {
	AppID                 string             `json:"appid"`
	SubAppID              string             `json:"sub_appid,omitempty"`
	SpMchID               string             `json:"sp_mchid"`
	SubMchID              string             `json:"sub_mchid,omitempty"`
	Description           string             `json:"description"`
	CreateTime            string             `json:"create_time"` // RFC 3339: the acceptance
	OutTradeNo            string             `json:"out_trade_no"`
	TransactionID         string             `json:"transaction_id,omitempty"` // once paid; refunds name it
	TradeState            TradeState         `json:"trade_state"`
	TradeStateDescription string             `json:"trade_state_description,omitempty"`
	SuccessTime           string             `json:"success_time,omitempty"` // RFC 3339, once paid
	BankType              string             `json:"bank_type,omitempty"`    // BankTypeAdvance: WeChat Pay advanced it
	UserRepaid            string             `json:"user_repaid,omitempty"`  // for an advance: "N", then "Y"
	Attach                string             `json:"attach,omitempty"`
	TradeScene            string             `json:"trade_scene"`
	ParkingInfo           *ParkingInfo       `json:"parking_info,omitempty"`
	Payer                 ParkingPayer       `json:"payer"`
	Amount                ParkingAmount      `json:"amount"`
	PromotionDetail       []ParkingPromotion `json:"promotion_detail,omitempty"`
}

// Advanced reports whether WeChat Pay paid the deduction by advancing the
// money: the merchant is paid, and the user owes WeChat Pay until Repaid.
func (t *ParkingTransaction) Advanced() bool { return t.BankType == BankTypeAdvance }

// Repaid reports whether the user repaid the advance that paid it.
func (t *ParkingTransaction) Repaid() bool { return t.Advanced() && t.UserRepaid == "Y" }

// CreateParkingTransaction asks for a stay's fee when the car leaves:
// POST /v3/vehicle/transactions/parking. WeChat Pay accepts it at once
// (TradeAccepted) and deducts later; only release the car on acceptance
// if you bear the risk of a failed deduction. An entry pays for one
// deduction; a BLOCKED entry for none.
func (c *Client) CreateParkingTransaction(ctx context.Context, req CreateParkingTransactionRequest) (*ParkingTransaction, error) {
	if req.TradeScene == "" {
		req.TradeScene = TradeSceneParking
	}
	return send[ParkingTransaction](ctx, c, http.MethodPost, "/v3/vehicle/transactions/parking", nil, req.validate(), req)
}

// QueryParkingTransactionRequest names a deduction for
// QueryParkingTransaction.
type QueryParkingTransactionRequest struct {
	OutTradeNo string // in the path
	SubMchID   string // a service provider's sub-merchant
}

func (r QueryParkingTransactionRequest) validate() error {
	var v validator
	v.required("out_trade_no", r.OutTradeNo, 32)
	v.charset("out_trade_no", r.OutTradeNo, "_-*")
	v.optional("sub_mchid", r.SubMchID, 32)
	return v.err()
}

// QueryParkingTransaction returns a deduction by the merchant's order
// number: GET /v3/vehicle/transactions/out-trade-no/{out_trade_no}. An
// unknown number is an *APIError with CodeOrderNotExist.
func (c *Client) QueryParkingTransaction(ctx context.Context, req QueryParkingTransactionRequest) (*ParkingTransaction, error) {
	var q url.Values
	if req.SubMchID != "" {
		q = url.Values{"sub_mchid": {req.SubMchID}}
	}
	return send[ParkingTransaction](ctx, c, http.MethodGet, "/v3/vehicle/transactions/out-trade-no/"+url.PathEscape(req.OutTradeNo), q, req.validate(), nil)
}

// ParkingEntranceEvent is the decrypted resource of
// VEHICLE.ENTRANCE_STATE_CHANGE (protocol-parking.md §7.2). Its names are
// not the entry's: ParkingID is Parking.ID, ParkingState its State, and
// BlockedStateDescription its BlockReason, with BlockRemove for a removed
// plate.
type ParkingEntranceEvent struct {
	SpMchID                 string       `json:"sp_mchid"`
	SubMchID                string       `json:"sub_mchid,omitempty"`
	ParkingID               string       `json:"parking_id"`
	OutParkingNo            string       `json:"out_parking_no"`
	PlateNumber             string       `json:"plate_number"`
	PlateColor              PlateColor   `json:"plate_color"`
	StartTime               string       `json:"start_time"`
	ParkingName             string       `json:"parking_name"`
	FreeDuration            int64        `json:"free_duration"`
	ParkingState            ParkingState `json:"parking_state"`
	BlockedStateDescription BlockReason  `json:"blocked_state_description,omitempty"`
	// StateUpdateTime (RFC 3339, with milliseconds) orders the changes:
	// never let an older one overwrite a newer.
	StateUpdateTime string `json:"state_update_time"`
}

// ParkingEntranceEvent decodes a VEHICLE.ENTRANCE_STATE_CHANGE callback;
// any other event type is an error.
func (n *Notification) ParkingEntranceEvent() (*ParkingEntranceEvent, error) {
	if n.EventType != EventEntranceStateChange {
		return nil, fmt.Errorf("notification %s is %s, not %s", n.ID, n.EventType, EventEntranceStateChange)
	}
	ev := new(ParkingEntranceEvent)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// ParkingTransactionEvent is the decrypted resource of TRANSACTION.SUCCESS,
// TRANSACTION.FAIL and TRANSACTION.PAY_BACK: the deduction as
// QueryParkingTransaction returns it.
type ParkingTransactionEvent struct {
	ParkingTransaction
}

// ParkingTransactionEvent decodes a TRANSACTION.* parking callback; any
// other event type is an error.
func (n *Notification) ParkingTransactionEvent() (*ParkingTransactionEvent, error) {
	switch n.EventType {
	case EventTransactionSuccess, EventTransactionFail, EventTransactionPayBack:
	default:
		return nil, fmt.Errorf("notification %s is %s, not %s, %s or %s", n.ID, n.EventType, EventTransactionSuccess, EventTransactionFail, EventTransactionPayBack)
	}
	ev := new(ParkingTransactionEvent)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// plate checks a plate number (required, at most 32 characters, no
// separators) and its colour.
func (v *validator) plate(numberField, colorField, number string, color PlateColor) {
	v.required(numberField, number, 32)
	for _, r := range number {
		if r == ' ' || r == '-' || r == '·' || r == '.' {
			v.failf(numberField, "contains %q; send the province's character and the plate without separators, e.g. 粤B888888", r)
			break
		}
	}
	if !color.valid() {
		v.failf(colorField, "is %q; want BLUE, GREEN, YELLOW, BLACK, WHITE or LIMEGREEN", color)
	}
}

// rfc3339 checks a required RFC 3339 time.
func (v *validator) rfc3339(field, s string) {
	if s == "" {
		v.failf(field, "is required")
		return
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		v.failf(field, "is %q, not an RFC 3339 time such as 2026-12-01T09:00:00+08:00 (use TimeRFC3339)", s)
	}
}
