package sandbox

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/mockpay/mockpay/client"
)

// OrderKind says which API an order belongs to.
type OrderKind string

// Order kinds.
const (
	OrderKindServiceOrder OrderKind = "serviceorder"   // /v3/payscore/serviceorder
	OrderKindPayAfter     OrderKind = "payafter-order" // /v3/payscore/payafter-orders (legacy 先享后付)
	OrderKindParking      OrderKind = "parking"        // /v3/vehicle/transactions (Pay Score parking deductions)
)

// TimelineEntry is one thing that happened to an order.
type TimelineEntry struct {
	At string `json:"at"` // RFC 3339, Beijing time
	// Type is what kind of thing: api, state, deduction, notification,
	// callback or user.
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

// Order is an order as the sandbox shows it: the order as its query API
// returns it, in ServiceOrder or PayAfterOrder according to Kind, and the
// sandbox's own fields.
type Order struct {
	Kind OrderKind `json:"kind"`
	// ServiceOrder is the order as client.QueryServiceOrder returns it;
	// set when Kind is OrderKindServiceOrder.
	ServiceOrder *client.ServiceOrder `json:"-"`
	// PayAfterOrder is the order as client.QueryPayAfterOrder returns it;
	// set when Kind is OrderKindPayAfter.
	PayAfterOrder *client.PayAfterOrder `json:"-"`
	// ParkingTransaction is the deduction as
	// client.QueryParkingTransaction returns it; set when Kind is
	// OrderKindParking, whose OutOrderNo is the out_trade_no.
	ParkingTransaction *client.ParkingTransaction `json:"-"`
	// QueryID is what WeChat hands the merchant's front end when the user
	// leaves the confirm page, so that a test can query by it; a parking
	// deduction has none.
	QueryID   string `json:"query_id,omitempty"`
	CreatedAt string `json:"created_at"` // RFC 3339, Beijing time
	UpdatedAt string `json:"updated_at"`
	// Timeline is every API call about the order, state change,
	// deduction, refund, user action and callback attempt, in order; only
	// GetOrder, ConfirmOrder and PayOrder fill it.
	Timeline []TimelineEntry `json:"timeline,omitempty"`
	answer
}

// UnmarshalJSON decodes the sandbox's fields and, by kind, the order's
// query view, which share one JSON object.
func (o *Order) UnmarshalJSON(b []byte) error {
	type plain Order // without this method
	if err := json.Unmarshal(b, (*plain)(o)); err != nil {
		return err
	}
	switch o.Kind {
	case OrderKindServiceOrder:
		o.ServiceOrder = new(client.ServiceOrder)
		return json.Unmarshal(b, o.ServiceOrder)
	case OrderKindPayAfter:
		o.PayAfterOrder = new(client.PayAfterOrder)
		return json.Unmarshal(b, o.PayAfterOrder)
	case OrderKindParking:
		o.ParkingTransaction = new(client.ParkingTransaction)
		return json.Unmarshal(b, o.ParkingTransaction)
	}
	return nil // a kind this client does not know: Raw has it
}

// ListOrdersRequest filters GET /sandbox/orders; empty fields match all.
type ListOrdersRequest struct {
	MchID string
	// SubMchID narrows a service provider's orders (MchID) to one of its
	// sub-merchants'.
	SubMchID string
	OpenID   string
	// State is the state in the API's words for the order's kind, e.g.
	// string(client.StateDoing) or string(client.PayAfterUserAccepted).
	State string
	Kind  OrderKind
	// Limit is how many to list at most, the newest; 0 lists every one,
	// following the listing's pages.
	Limit int
}

// ListOrders lists orders of both kinds, newest first: GET /sandbox/orders,
// page after page. Their timelines are left out.
func (c *Client) ListOrders(ctx context.Context, req ListOrdersRequest) ([]Order, error) {
	q := query("mchid", req.MchID, "sub_mchid", req.SubMchID, "openid", req.OpenID, "state", req.State, "kind", string(req.Kind))
	return callList[Order](ctx, c, endpoint("ListOrders", http.MethodGet, "/sandbox/orders").with(q, nil), req.Limit)
}

// GetOrderRequest names an order for GetOrder. A service order is found
// before a payafter order with the same number.
type GetOrderRequest struct {
	MchID      string
	OutOrderNo string
	// SubMchID names a service provider's (MchID) sub-merchant whose order
	// it is: its first when empty.
	SubMchID string
}

// GetOrder returns one order with its timeline: GET
// /sandbox/orders/{mchid}/{out_order_no}.
func (c *Client) GetOrder(ctx context.Context, req GetOrderRequest) (*Order, error) {
	return call[Order](ctx, c, orderEndpoint("GetOrder", http.MethodGet, req.MchID, req.SubMchID, req.OutOrderNo, ""))
}

// ConfirmOrderRequest is POST /sandbox/orders/{mchid}/{out_order_no}/confirm.
type ConfirmOrderRequest struct {
	MchID      string `json:"-"` // in the path
	OutOrderNo string `json:"-"` // in the path
	SubMchID   string `json:"-"` // in the query, as for GetOrderRequest
	// OpenID is the user who confirms, for an order created without one.
	OpenID string `json:"openid,omitempty"`
}

// ConfirmOrder plays the user who confirms a 需确认 service order in WeChat
// (CREATED → DOING/USER_CONFIRM, PAYSCORE.USER_CONFIRM to the order's
// notify_url), or accepts a legacy payafter order (→ USER_ACCEPTED with its
// finish_ticket, PAYSCORE.USER_ACCEPTED to the merchant's notify_url), and
// returns the order with its timeline.
func (c *Client) ConfirmOrder(ctx context.Context, req ConfirmOrderRequest) (*Order, error) {
	return call[Order](ctx, c, orderEndpoint("ConfirmOrder", http.MethodPost, req.MchID, req.SubMchID, req.OutOrderNo, "/confirm").withBody(req))
}

// PayOrderRequest names the order for PayOrder.
type PayOrderRequest struct {
	MchID      string
	OutOrderNo string
	SubMchID   string // as for GetOrderRequest
}

// PayOrder plays the user who pays what a completed order still owes
// after a failed deduction, whatever the wallet holds
// (PAYSCORE.USER_PAID), or who repays the advance that paid a parking
// deduction (user_repaid Y, TRANSACTION.PAY_BACK), and returns the order
// with its timeline: POST /sandbox/orders/{mchid}/{out_order_no}/pay.
func (c *Client) PayOrder(ctx context.Context, req PayOrderRequest) (*Order, error) {
	return call[Order](ctx, c, orderEndpoint("PayOrder", http.MethodPost, req.MchID, req.SubMchID, req.OutOrderNo, "/pay"))
}

// orderEndpoint is a request about one order, followed by action ("" or
// "/pay"); a service provider's names the sub-merchant in its query.
func orderEndpoint(name, method, mchid, subMchID, outOrderNo, action string) request {
	return endpoint(name, method, "/sandbox/orders/%s/%s"+action, "MchID", mchid, "OutOrderNo", outOrderNo).with(query("sub_mchid", subMchID), nil)
}
