package mock

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/payscore"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The sandbox's user side: what WeChat users do (authorize, confirm, pay),
// their wallets, and what QA reads back (orders with timelines, callbacks).

// AuthorizeRequest is the body of POST /sandbox/users/{openid}/authorize.
type AuthorizeRequest struct {
	MchID string `json:"mchid"`
	// SubMchID is the sub-merchant of a service provider (MchID) the user
	// authorises; the service provider's first when left out.
	SubMchID          string `json:"sub_mchid,omitempty"`
	ServiceID         string `json:"service_id,omitempty"`
	AppID             string `json:"appid,omitempty"`
	AuthorizationCode string `json:"authorization_code,omitempty"`
	// SubAppID is the sub-merchant's app the user authorises in: the
	// path's openid is then the user's sub_openid under it. A
	// pre-authorization that named a sub_appid implies it.
	SubAppID string `json:"sub_appid,omitempty"`
}

// Authorization is a user's authorization of a merchant's service, as the
// v3 authorization queries answer it.
type Authorization struct {
	ServiceID          string `json:"service_id"`
	AppID              string `json:"appid"`
	MchID              string `json:"mchid"`
	SubMchID           string `json:"sub_mchid,omitempty"` // a service provider's sub-merchant
	SubAppID           string `json:"sub_appid,omitempty"` // when the user authorised in the sub-merchant's app
	OpenID             string `json:"openid,omitempty"`
	SubOpenID          string `json:"sub_openid,omitempty"` // the user under sub_appid
	AuthorizationCode  string `json:"authorization_code,omitempty"`
	AuthorizationState string `json:"authorization_state"` // AVAILABLE, UNAVAILABLE or UNBINDUSER
	NotifyURL          string `json:"notify_url,omitempty"`
	// Times in RFC 3339, Beijing time, to the millisecond.
	CancelAuthorizationTime  string `json:"cancel_authorization_time,omitempty"`
	AuthorizationSuccessTime string `json:"authorization_success_time,omitempty"`
	// The user's Pay Score risk level and the version of its scale, once
	// the user authorized.
	UserRiskLevel    *int64 `json:"user_risk_level,omitempty"`
	RiskLevelVersion *int64 `json:"risk_level_version,omitempty"`
}

// authorization converts the API's view; a field added to one and not the
// other stops the build here.
func authorization(p wire.Permission, err error) (Authorization, error) {
	return Authorization(p), err
}

// AuthorizeUser is the user opening the merchant's service (PAYSCORE.USER_OPEN_SERVICE).
func (s *Server) AuthorizeUser(openid string, req AuthorizeRequest) (Authorization, error) {
	if req.MchID == "" {
		return Authorization{}, apierr.Param(apierr.LocBody, "/mchid", "mchid is required", "mchid is required", nil)
	}
	return authorization(s.payscore.Authorize(payscore.UserAuthorization{
		MchID: req.MchID, SubMchID: req.SubMchID, User: openid, ServiceID: req.ServiceID, AppID: req.AppID,
		SubAppID: req.SubAppID, AuthorizationCode: req.AuthorizationCode,
	}))
}

// RevokeRequest is the body of POST /sandbox/users/{openid}/revoke.
type RevokeRequest struct {
	MchID     string `json:"mchid"`
	SubMchID  string `json:"sub_mchid,omitempty"` // a service provider's sub-merchant; its first when left out
	ServiceID string `json:"service_id,omitempty"`
}

// RevokeUser is the user closing the service in WeChat (PAYSCORE.USER_CLOSE_SERVICE).
func (s *Server) RevokeUser(openid string, req RevokeRequest) (Authorization, error) {
	if req.MchID == "" {
		return Authorization{}, apierr.Param(apierr.LocBody, "/mchid", "mchid is required", "mchid is required", nil)
	}
	return authorization(s.payscore.Revoke(req.MchID, req.SubMchID, openid, req.ServiceID))
}

// Wallet is a user's wallet.
type Wallet struct {
	// Balance is what deductions may take, in fen; nil is unlimited.
	Balance *int64 `json:"balance"`
	// RefundOutcome is how refunds to the user end: SUCCESS (the default),
	// ABNORMAL (say, a frozen card) or CLOSED.
	RefundOutcome string `json:"refund_outcome,omitempty"`
}

// SetWallet sets the user's wallet (PUT /sandbox/users/{openid}/wallet).
func (s *Server) SetWallet(openid string, w Wallet) error {
	return s.payscore.SetWallet(openid, w.Balance, w.RefundOutcome)
}

// User is a sandbox user: wallet, authorizations and parking plates.
type User struct {
	OpenID         string          `json:"openid"`
	Wallet         Wallet          `json:"wallet"`
	Authorizations []Authorization `json:"authorizations"`
	Plates         []Plate         `json:"plates"`
}

// User returns a user (GET /sandbox/users/{openid}).
func (s *Server) User(openid string) (User, error) {
	tx := s.store.Read()
	u, err := tx.User(openid)
	if err != nil {
		return User{}, err
	}
	ps, err := tx.PermissionsOfUser(openid)
	if err != nil {
		return User{}, err
	}
	out := User{OpenID: openid, Wallet: Wallet{Balance: u.Balance, RefundOutcome: u.RefundOutcome}, Authorizations: []Authorization{}}
	for _, p := range ps {
		out.Authorizations = append(out.Authorizations, Authorization(wire.PermissionView(p)))
	}
	if out.Plates, err = plates(tx, openid); err != nil {
		return User{}, err
	}
	return out, nil
}

// OrderFilter selects orders; empty fields match all. A service
// provider's orders (MchID) are those of all its sub-merchants unless
// SubMchID names one.
type OrderFilter struct {
	MchID, SubMchID, OpenID, State, Kind string
}

// SandboxOrder is an order as the sandbox shows it: the API's own view of
// it (a service order or a legacy payafter order), what kind it is, and its
// timeline. In JSON the view's fields and the sandbox's sit side by side.
type SandboxOrder struct {
	Kind       string `json:"kind"`
	SubMchID   string `json:"sub_mchid,omitempty"` // a service provider's sub-merchant
	OutOrderNo string `json:"out_order_no"`
	State      string `json:"state"`
	OpenID     string `json:"openid,omitempty"` // the user: openid, or a partner order's sub_openid
	// QueryID is what WeChat hands the merchant's front end when the user
	// leaves the confirm page; the sandbox shows it so tests can query by
	// it. A parking deduction has none.
	QueryID   string          `json:"query_id,omitempty"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	Timeline  []TimelineEntry `json:"timeline,omitempty"`
	// View is the order as its query API answers it, in JSON: the service
	// order query's or the payafter order query's body.
	View json.RawMessage `json:"-"`
}

// MarshalJSON writes the view's fields and the sandbox's in one object.
func (o SandboxOrder) MarshalJSON() ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(o.View, &fields); err != nil {
		return nil, err
	}
	type plain SandboxOrder // without this method
	own, err := protocol.MarshalJSON(plain(o))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(own, &fields); err != nil {
		return nil, err
	}
	return protocol.MarshalJSON(fields)
}

// TimelineEntry is one thing that happened to an order.
type TimelineEntry struct {
	At      string `json:"at"`
	Type    string `json:"type"` // api, state, deduction, notification, callback, user
	Summary string `json:"summary"`
}

// match reports whether o is one of the orders f selects.
func (f OrderFilter) match(o *store.Order) bool {
	return !(f.MchID != "" && o.MchID != f.MchID || f.SubMchID != "" && o.SubMchID != f.SubMchID || f.OpenID != "" && o.User() != f.OpenID ||
		f.State != "" && string(o.State) != f.State || f.Kind != "" && string(o.Kind) != f.Kind)
}

// Orders lists every order f selects, newest first; GET /sandbox/orders
// pages it (OrdersPage).
func (s *Server) Orders(f OrderFilter) ([]SandboxOrder, error) {
	out, _, err := s.OrdersPage(f, all)
	return out, err
}

func (s *Server) sandboxOrder(o *store.Order) (SandboxOrder, error) {
	var view any = wire.View(o)
	if o.Kind == store.KindPayAfter {
		view = wire.PayAfterView(o, s.clock.Now())
	}
	raw, err := protocol.MarshalJSON(view)
	if err != nil {
		return SandboxOrder{}, fmt.Errorf("order %s: %w", o.OutOrderNo, err)
	}
	return SandboxOrder{
		Kind: string(o.Kind), SubMchID: o.SubMchID, OutOrderNo: o.OutOrderNo, State: string(o.State), OpenID: o.User(), QueryID: o.QueryID(),
		CreatedAt: protocol.FormatRFC3339(o.CreatedAt), UpdatedAt: protocol.FormatRFC3339(o.UpdatedAt),
		View: raw,
	}, nil
}

// findOrder finds an order by out_order_no: a merchant's, or a service
// provider's sub-merchant's (the first when subMchID is empty); a service
// order, or else a payafter order.
func findOrder(tx store.ReadTxn, mchid, subMchID, outOrderNo string) (*store.Order, error) {
	who, err := payscore.SandboxCaller(tx, mchid, subMchID)
	if err != nil {
		return nil, err
	}
	a := who.Account()
	for _, kind := range []store.Kind{store.KindServiceOrder, store.KindPayAfter} {
		o, err := tx.Order(a, kind, outOrderNo)
		if !errors.Is(err, store.ErrNotFound) {
			return o, err
		}
	}
	return nil, apierr.Newf(apierr.NotFound, "merchant %s has no order %s", a, outOrderNo)
}

// Order returns one order with its timeline (GET
// /sandbox/orders/{mchid}/{out_order_no}?sub_mchid=): the API calls about
// it, its state changes, deductions and refunds, and every callback
// attempt. subMchID names a service provider's sub-merchant, its first
// when empty (findAnyOrder). A service order is found before a payafter
// order with the same out_order_no, and both before a parking deduction
// with it as out_trade_no.
func (s *Server) Order(mchid, subMchID, outOrderNo string) (SandboxOrder, error) {
	tx := s.store.Read()
	o, t, err := findAnyOrder(tx, mchid, subMchID, outOrderNo)
	if err != nil {
		return SandboxOrder{}, err
	}
	if t != nil {
		so, err := parkingOrder(tx, t)
		if err != nil {
			return SandboxOrder{}, err
		}
		so.Timeline, err = s.timeline(tx, store.Account{MchID: t.MchID, SubMchID: t.SubMchID}, store.KindParking, outOrderNo, t.Events)
		return so, err
	}
	so, err := s.sandboxOrder(o)
	if err != nil {
		return SandboxOrder{}, err
	}
	so.Timeline, err = s.timeline(tx, o.Account(), o.Kind, outOrderNo, o.Events)
	return so, err
}

// timeline merges what happened to an order of account a, in the order it
// happened: the API calls about it, its own events and its callbacks'
// attempts (for a sub-merchant's order, those about that sub-merchant).
func (s *Server) timeline(tx store.ReadTxn, a store.Account, kind store.Kind, outOrderNo string, events []store.Event) ([]TimelineEntry, error) {
	type entry struct {
		seq uint64 // Store.NextSeq: the order things happened in
		e   TimelineEntry
	}
	var es []entry
	add := func(seq uint64, at time.Time, typ, summary string) {
		es = append(es, entry{seq, TimelineEntry{At: protocol.FormatRFC3339(at), Type: typ, Summary: summary}})
	}
	for _, r := range s.requests.list(RequestFilter{MchID: a.MchID, OutOrderNo: outOrderNo}) {
		if r.OrderKind != string(kind) || r.SubMchID != a.SubMchID {
			continue
		}
		result := fmt.Sprint(r.Status)
		if r.Code != "" {
			result += " " + r.Code
		}
		summary := fmt.Sprintf("%s %s → %s (request %s)", r.Method, r.URL, result, r.RequestID)
		if r.Scenario != "" {
			summary += " [" + r.Scenario + ": " + r.Injected + "]"
		}
		add(r.Seq, r.at, "api", summary)
	}
	for _, ev := range events {
		add(ev.Seq, ev.At, ev.Type, ev.Summary)
	}
	ns, err := tx.OrderNotifications(a, kind, outOrderNo)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		if n.Note != "" && len(n.Attempts) == 0 {
			add(n.Seq, n.CreateTime, "callback", fmt.Sprintf("%s %s %s", n.EventType, n.ID, n.Note))
		}
		for i, a := range n.Attempts {
			outcome := a.Error
			if outcome == "" {
				outcome = fmt.Sprintf("HTTP %d", a.Status)
			}
			what := "attempt"
			if a.Kind != "" {
				what = a.Kind + " attempt"
			}
			add(a.Seq, a.At, "callback", fmt.Sprintf("%s %s %s %d → %s", n.EventType, n.ID, what, i+1, outcome))
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	var out []TimelineEntry
	for _, e := range es {
		out = append(out, e.e)
	}
	return out, nil
}

// ConfirmRequest is the optional body of POST /sandbox/orders/{mchid}/{out_order_no}/confirm.
type ConfirmRequest struct {
	// OpenID is the user who confirms, for an order created without one.
	OpenID string `json:"openid,omitempty"`
}

// ConfirmOrder is the user confirming the order in WeChat: a service order
// fires PAYSCORE.USER_CONFIRM; a payafter order is accepted, which issues
// its finish_ticket, and fires PAYSCORE.USER_ACCEPTED. subMchID is as for
// Order.
func (s *Server) ConfirmOrder(mchid, subMchID, outOrderNo string, req ConfirmRequest) (SandboxOrder, error) {
	o, err := findOrder(s.store.Read(), mchid, subMchID, outOrderNo)
	if err != nil {
		return SandboxOrder{}, err
	}
	confirm := s.payscore.ConfirmOrder
	if o.Kind == store.KindPayAfter {
		confirm = s.payscore.ConfirmPayAfter
	}
	if err := confirm(o.Account(), outOrderNo, req.OpenID); err != nil {
		return SandboxOrder{}, sandboxOrderError(err)
	}
	return s.Order(mchid, o.SubMchID, outOrderNo)
}

// UserPay is the user paying what is outstanding (PAYSCORE.USER_PAID), or
// repaying the advance that paid a parking deduction
// (TRANSACTION.PAY_BACK); subMchID is as for Order.
func (s *Server) UserPay(mchid, subMchID, outOrderNo string) (SandboxOrder, error) {
	o, t, err := findAnyOrder(s.store.Read(), mchid, subMchID, outOrderNo)
	if err != nil {
		return SandboxOrder{}, err
	}
	if t != nil {
		if _, err := s.parking.Repay(t.MchID, t.SubMchID, t.OutTradeNo); err != nil {
			return SandboxOrder{}, sandboxOrderError(err)
		}
		return s.Order(mchid, t.SubMchID, outOrderNo)
	}
	pay := s.payscore.UserPayOrder
	if o.Kind == store.KindPayAfter {
		pay = s.payscore.UserPayPayAfter
	}
	if err := pay(o.Account(), outOrderNo); err != nil {
		return SandboxOrder{}, sandboxOrderError(err)
	}
	return s.Order(mchid, o.SubMchID, outOrderNo)
}

// sandboxOrderError answers in the sandbox's codes what the API's would
// say: the state machine's refusal of a user's action is a 409, an order
// that went between finding it and acting on it (a reset raced the
// call) is NOT_FOUND, not the v3 ORDER_NOT_EXIST.
func sandboxOrderError(err error) error {
	var ae *apierr.Error
	switch {
	case !errors.As(err, &ae):
	case ae.Detail != nil && ae.Detail.Field == "state":
		return apierr.New(apierr.Conflict, ae.Detail.Issue)
	case ae.Code == apierr.OrderNotExist: // gone since it was found: a reset or a removal in between
		return apierr.New(apierr.NotFound, "the order no longer exists")
	}
	return err
}

// NotificationFilter selects callbacks; empty fields match all. A service
// provider's (MchID) are those about all its sub-merchants unless SubMchID
// names one.
type NotificationFilter struct {
	MchID, SubMchID, OutOrderNo, EventType, State string
}

// NotificationRecord is a callback as the sandbox shows it, with the
// plaintext of its resource and every delivery attempt.
type NotificationRecord struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	Summary    string          `json:"summary"`
	MchID      string          `json:"mchid"`
	SubMchID   string          `json:"sub_mchid,omitempty"` // the sub-merchant a service provider's callback is about
	OutOrderNo string          `json:"out_order_no,omitempty"`
	OpenID     string          `json:"openid,omitempty"`
	NotifyURL  string          `json:"notify_url"`
	CreateTime string          `json:"create_time"`
	Resource   json.RawMessage `json:"resource"`
	State      string          `json:"state"`
	Note       string          `json:"note,omitempty"`     // why it was dropped or delayed
	Scenario   string          `json:"scenario,omitempty"` // the scenario that shaped its delivery
	Attempts   []AttemptRecord `json:"attempts"`
}

// AttemptRecord is one delivery attempt.
type AttemptRecord struct {
	At         string  `json:"at"`
	Status     int     `json:"status"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	// Kind is empty for an attempt of the retry schedule, else "redelivery",
	// "duplicate" or "forged:<kind>".
	Kind string `json:"kind,omitempty"`
}

func notificationRecord(n *store.Notification) NotificationRecord {
	r := NotificationRecord{
		ID: n.ID, EventType: string(n.EventType), Summary: n.Summary, MchID: n.MchID, SubMchID: n.SubMchID, OutOrderNo: n.OutOrderNo, OpenID: n.OpenID,
		NotifyURL: n.NotifyURL, CreateTime: protocol.FormatRFC3339(n.CreateTime), Resource: n.Resource, State: n.State,
		Note: n.Note, Scenario: n.Scenario, Attempts: []AttemptRecord{},
	}
	for _, a := range n.Attempts {
		r.Attempts = append(r.Attempts, attemptRecord(a))
	}
	return r
}

func attemptRecord(a store.Attempt) AttemptRecord {
	return AttemptRecord{At: protocol.FormatRFC3339(a.At), Status: a.Status, Error: a.Error, DurationMS: a.DurationMS, Kind: a.Kind}
}

// match reports whether n is one of the callbacks f selects.
func (f NotificationFilter) match(n *store.Notification) bool {
	return !(f.MchID != "" && n.MchID != f.MchID || f.SubMchID != "" && n.SubMchID != f.SubMchID || f.OutOrderNo != "" && n.OutOrderNo != f.OutOrderNo ||
		f.EventType != "" && string(n.EventType) != f.EventType || f.State != "" && n.State != f.State)
}

// Notifications lists every callback f selects in the order they were
// made; GET /sandbox/notifications pages them newest first (NotificationsPage).
func (s *Server) Notifications(f NotificationFilter) ([]NotificationRecord, error) {
	out, _, err := s.NotificationsPage(f, all)
	slices.Reverse(out)
	return out, err
}

// Redeliver sends a callback again now and returns it with the new attempt
// (POST /sandbox/notifications/{id}/redeliver).
func (s *Server) Redeliver(id string) (NotificationRecord, error) {
	n, err := s.notifier.Redeliver(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotificationRecord{}, apierr.Newf(apierr.NotFound, "no notification %s", id)
	case errors.Is(err, notify.ErrNoNotifyURL):
		return NotificationRecord{}, apierr.Newf(apierr.Conflict, "notification %s has no notify_url: there is nowhere to send it", id)
	case err != nil:
		return NotificationRecord{}, fmt.Errorf("redeliver notification %s: %w", id, err)
	}
	return notificationRecord(n), nil
}

func (s *Server) sbAuthorize(r *http.Request) reply {
	var req AuthorizeRequest
	if err := decodeJSON(r, &req); err != nil {
		return fail(err)
	}
	return answer(s.AuthorizeUser(sbVars(r)["openid"], req))
}

func (s *Server) sbRevoke(r *http.Request) reply {
	var req RevokeRequest
	if err := decodeJSON(r, &req); err != nil {
		return fail(err)
	}
	return answer(s.RevokeUser(sbVars(r)["openid"], req))
}

func (s *Server) sbWallet(r *http.Request) reply {
	var w Wallet
	if err := decodeJSON(r, &w); err != nil {
		return fail(err)
	}
	openid := sbVars(r)["openid"]
	if err := s.SetWallet(openid, w); err != nil {
		return fail(err)
	}
	return answer(s.User(openid))
}

func (s *Server) sbUser(r *http.Request) reply { return answer(s.User(sbVars(r)["openid"])) }

func (s *Server) sbOrders(r *http.Request) reply {
	q := r.URL.Query()
	p, err := pageOf(q)
	if err != nil {
		return fail(err)
	}
	os, next, err := s.OrdersPage(OrderFilter{MchID: q.Get("mchid"), SubMchID: q.Get("sub_mchid"), OpenID: q.Get("openid"), State: q.Get("state"), Kind: q.Get("kind")}, p)
	return paged(r, os, next, err)
}

func (s *Server) sbOrder(r *http.Request) reply {
	v := sbVars(r)
	return answer(s.Order(v["mchid"], r.URL.Query().Get("sub_mchid"), v["out_order_no"]))
}

func (s *Server) sbConfirm(r *http.Request) reply {
	var req ConfirmRequest
	if err := decodeJSON(r, &req); err != nil {
		return fail(err)
	}
	v := sbVars(r)
	return answer(s.ConfirmOrder(v["mchid"], r.URL.Query().Get("sub_mchid"), v["out_order_no"], req))
}

func (s *Server) sbUserPay(r *http.Request) reply {
	v := sbVars(r)
	return answer(s.UserPay(v["mchid"], r.URL.Query().Get("sub_mchid"), v["out_order_no"]))
}

func (s *Server) sbNotifications(r *http.Request) reply {
	q := r.URL.Query()
	p, err := pageOf(q)
	if err != nil {
		return fail(err)
	}
	ns, next, err := s.NotificationsPage(NotificationFilter{MchID: q.Get("mchid"), SubMchID: q.Get("sub_mchid"), OutOrderNo: q.Get("out_order_no"), EventType: q.Get("event_type"), State: q.Get("state")}, p)
	return paged(r, ns, next, err)
}

func (s *Server) sbRedeliver(r *http.Request) reply { return answer(s.Redeliver(sbVars(r)["id"])) }
