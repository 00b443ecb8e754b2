package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/mockpay/mockpay/client/protocol"
)

const tableOrders = "orders"

// Kind is which of the two Pay Score order APIs an order belongs to; they
// keep separate out_order_no spaces.
type Kind string

// Order kinds.
const (
	KindServiceOrder Kind = "serviceorder"   // /v3/payscore/serviceorder
	KindPayAfter     Kind = "payafter-order" // /v3/payscore/payafter-orders (legacy 先享后付)
)

// State is an order's state: a service order's (protocol.md §4.11) or a
// legacy payafter order's (§5.6). CREATED, REVOKED and EXPIRED are both's.
type State string

// Order states.
const (
	StateCreated State = "CREATED"
	StateDoing   State = "DOING"
	StateDone    State = "DONE"
	StateRevoked State = "REVOKED"
	StateExpired State = "EXPIRED"

	StateUserAccepted State = "USER_ACCEPTED" // payafter: the user accepted, a finish_ticket exists
	StateFinished     State = "FINISHED"      // payafter: completed, to be charged
	StateUserPaid     State = "USER_PAID"     // payafter: charged or paid otherwise
)

// Description is a DOING service order's state_description.
type Description string

// State descriptions.
const (
	DescUserConfirm Description = "USER_CONFIRM"
	DescMchComplete Description = "MCH_COMPLETE"
)

// CollectionState is collection.state, once a service order is completed.
type CollectionState string

// Collection states.
const (
	CollectionPaying CollectionState = "USER_PAYING"
	CollectionPaid   CollectionState = "USER_PAID"
)

// PaidType is how one collection of a service order was paid.
type PaidType string

// Paid types.
const (
	PaidNewton PaidType = "NEWTON" // collected by Pay Score (a WeChat Pay deduction)
	PaidMch    PaidType = "MCH"    // paid through the merchant's own channel, reported by sync
)

// Order is a Pay Score order. Money is in fen. Times are domain time.
type Order struct {
	// Seq is Store.NextSeq when the order was made: listings show orders
	// newest first by it, and page by it.
	Seq        uint64 `json:",omitzero"`
	Kind       Kind   `json:",omitzero"`
	MchID      string `json:",omitzero"` // the merchant, or the service provider of a partner order
	SubMchID   string `json:",omitzero"` // the sub-merchant of a partner order; "" for a direct merchant's
	OutOrderNo string `json:",omitzero"`
	OrderID    string `json:",omitzero"` // WeChat Pay's order id
	AppID      string `json:",omitzero"`
	SubAppID   string `json:",omitzero"` // a partner order's sub_appid, if it named one
	ServiceID  string `json:",omitzero"`
	OpenID     string `json:",omitzero"`
	// SubOpenID is the user under SubAppID, for a partner order that named
	// its user that way rather than by OpenID.
	SubOpenID string `json:",omitzero"`

	ServiceIntroduction string      `json:",omitzero"`
	State               State       `json:",omitzero"`
	StateDescription    Description `json:",omitzero"`
	NeedUserConfirm     bool        `json:",omitzero"`

	PostPayments  []PostPayment  `json:",omitzero"`
	PostDiscounts []PostDiscount `json:",omitzero"`
	RiskFund      RiskFund       `json:",omitzero"`
	TimeRange     TimeRange      `json:",omitzero"`
	Location      *Location      `json:",omitzero"`
	Device        *Device        `json:",omitzero"`
	Attach        string         `json:",omitzero"`
	NotifyURL     string         `json:",omitzero"`

	TotalAmount     int64       `json:",omitzero"` // set by complete and modify
	CompletedAmount int64       `json:",omitzero"` // the amount set at completion; modify may only lower it
	Completed       bool        `json:",omitzero"` // complete (or direct-complete) has succeeded
	ProfitSharing   bool        `json:",omitzero"`
	GoodsTag        string      `json:",omitzero"`
	Collection      *Collection `json:",omitzero"` // after completion
	AcceptedAt      time.Time   `json:",omitzero"` // when the user confirmed (OnAccept start time)
	// DeductionAttempts counts WeChat Pay's deduction attempts, which
	// scenarios may fail by number.
	DeductionAttempts int `json:",omitzero"`
	// DeductionsDue are the deduction attempts scheduled on the clock and
	// not yet made, so that a restored server re-arms them (Due).
	DeductionsDue []DeductionDue `json:",omitzero"`
	CompletedAt   time.Time      `json:",omitzero"`
	CancelReason  string         `json:",omitzero"`

	// CreateDigest identifies the create request's parameters: a retry with
	// identical parameters returns the order, different ones are refused.
	CreateDigest Digest `json:",omitzero"`

	CreatedAt time.Time `json:",omitzero"`
	UpdatedAt time.Time `json:",omitzero"`
	Events    []Event   `json:",omitzero"` // the order's own timeline

	// PayAfter holds what only a legacy payafter order has; nil for service
	// orders. Its fees, discounts, risk_amount, service times and locations
	// live in PostPayments, PostDiscounts, RiskFund, TimeRange and Location.
	PayAfter *PayAfter `json:",omitzero"`
}

// PayAfter is the legacy 先享后付 part of an order (/v3/payscore/payafter-orders).
type PayAfter struct {
	RealStartTime       string    `json:",omitzero"`
	RealEndTime         string    `json:",omitzero"`
	RealStartLocation   string    `json:",omitzero"`
	RealEndLocation     string    `json:",omitzero"`
	FinishType          int       `json:",omitzero"`
	CancelReason        string    `json:",omitzero"`
	FinishTransactionID string    `json:",omitzero"`
	PaySuccTime         time.Time `json:",omitzero"`
	PayType             string    `json:",omitzero"` // MchChannelPayType after a sync
}

// PostPayment is a 后付费项目.
type PostPayment struct {
	Name        string `json:",omitzero"`
	Amount      *int64 `json:",omitzero"`
	Description string `json:",omitzero"`
	Count       *int64 `json:",omitzero"`
}

// PostDiscount is a 商户优惠.
type PostDiscount struct {
	Name        string `json:",omitzero"`
	Description string `json:",omitzero"`
	Amount      *int64 `json:",omitzero"`
	Count       *int64 `json:",omitzero"`
}

// RiskFund is the order's 风险金.
type RiskFund struct {
	Name        string `json:",omitzero"`
	Amount      int64  `json:",omitzero"`
	Description string `json:",omitzero"`
}

// TimeRange is the 服务时间段, as the merchant sent it.
type TimeRange struct {
	StartTime       string `json:",omitzero"`
	StartTimeRemark string `json:",omitzero"`
	EndTime         string `json:",omitzero"`
	EndTimeRemark   string `json:",omitzero"`
}

// Location is the 服务位置.
type Location struct {
	StartLocation string `json:",omitzero"`
	EndLocation   string `json:",omitzero"`
}

// Device is the 设备信息.
type Device struct {
	StartDeviceID string `json:",omitzero"`
	EndDeviceID   string `json:",omitzero"`
	MaterielNo    string `json:",omitzero"`
}

// Collection is the 收款信息 of a completed order.
type Collection struct {
	State        CollectionState    `json:",omitzero"`
	TotalAmount  int64              `json:",omitzero"`
	PayingAmount int64              `json:",omitzero"`
	PaidAmount   int64              `json:",omitzero"`
	Details      []CollectionDetail `json:",omitzero"`
}

// CollectionDetail is one successful collection.
type CollectionDetail struct {
	Seq           int64     `json:",omitzero"`
	Amount        int64     `json:",omitzero"`
	PaidType      PaidType  `json:",omitzero"`
	PaidTime      time.Time `json:",omitzero"`
	TransactionID string    `json:",omitzero"` // NEWTON collections only
}

// DeductionDue is a scheduled deduction attempt and why it was scheduled
// (after completion, after a pay call, a scenario's retry), which names its
// timer.
type DeductionDue struct {
	Due
	Why string `json:",omitzero"`
}

// Event is one entry of an order's timeline.
type Event struct {
	Seq     uint64    `json:",omitzero"` // Store.NextSeq
	At      time.Time `json:",omitzero"`
	Type    string    `json:",omitzero"` // api, state, deduction, notification, user
	Summary string    `json:",omitzero"`
}

// Digest fingerprints a request's parameters (a truncated SHA-256).
type Digest [16]byte

// DigestOf fingerprints a request: the truncated SHA-256 of its JSON, as
// the mock writes JSON.
func DigestOf(v any) (Digest, error) {
	b, err := protocol.MarshalJSON(v)
	if err != nil {
		return Digest{}, fmt.Errorf("digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return Digest(sum[:16]), nil
}

// MarshalText writes the digest in hex, so that a saved state shows it as
// one string rather than 16 numbers.
func (d Digest) MarshalText() ([]byte, error) {
	return []byte(hex.EncodeToString(d[:])), nil
}

// UnmarshalText reads the hex MarshalText writes.
func (d *Digest) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(d) {
		return fmt.Errorf("digest %q: want %d hex digits", b, 2*len(d))
	}
	_, err := hex.Decode(d[:], b)
	if err != nil {
		return fmt.Errorf("digest %q: %w", b, err)
	}
	return nil
}

// User is the sandbox user an order is for: OpenID, else SubOpenID. It is
// the user whose wallet pays and whom scenarios match.
func (o *Order) User() string {
	if o.OpenID != "" {
		return o.OpenID
	}
	return o.SubOpenID
}

// QueryID is the id WeChat hands the merchant's front end when the user
// leaves the confirm page: 32 opaque URL-safe characters. It is neither
// stored nor indexed: it carries the order's Seq, masked, beside a digest of
// its order id, and OrderByQueryID finds the order through the seq index
// that listings keep anyway. That saves a string and an index entry per
// order (docs/performance.md).
func (o *Order) QueryID() string {
	sum := sha256.Sum256([]byte("query_id/" + o.OrderID))
	var b [24]byte
	copy(b[:16], sum[:16])
	binary.BigEndian.PutUint64(b[16:], o.Seq^queryIDMask(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// queryIDSeq is the Seq of the order a query id was made for, if it is
// one: OrderByQueryID checks the order's own query id against it.
func queryIDSeq(queryID string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(queryID)
	if err != nil || len(b) != 24 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[16:]) ^ queryIDMask(b[:16]), true
}

// queryIDMask hides the sequence in a query id behind its digest part, so
// that consecutive orders' ids do not look consecutive.
func queryIDMask(digest []byte) uint64 {
	m := sha256.Sum256(digest)
	return binary.BigEndian.Uint64(m[:8])
}

// Package is the opaque package of wx.openBusinessView, derived like QueryID.
func (o *Order) Package() string { return Derive("package", o.OrderID, 64) }

// Derive makes an opaque token of n URL-safe characters from an id and a
// purpose: the same inputs always give the same token.
func Derive(purpose, id string, n int) string {
	var out []byte
	for i := 0; len(out) < n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%s", purpose, i, id)))
		out = append(out, base64.RawURLEncoding.EncodeToString(sum[:])...)
	}
	return string(out[:n])
}

// Copy returns a copy that may be changed and inserted again. Nested
// slices and pointers are copied so that the stored row never changes.
func (o *Order) Copy() *Order {
	c := *o
	c.PostPayments = slices.Clone(o.PostPayments)
	c.PostDiscounts = slices.Clone(o.PostDiscounts)
	// Cloned, not clipped: a fired deduction deletes its entry in place.
	c.DeductionsDue = slices.Clone(o.DeductionsDue)
	if o.Location != nil {
		l := *o.Location
		c.Location = &l
	}
	if o.Device != nil {
		d := *o.Device
		c.Device = &d
	}
	if o.Collection != nil {
		col := *o.Collection
		col.Details = slices.Clone(o.Collection.Details)
		c.Collection = &col
	}
	if o.PayAfter != nil {
		p := *o.PayAfter
		c.PayAfter = &p
	}
	// Clip so that appending to the copy never writes into the stored array.
	c.Events = slices.Clip(o.Events)
	return &c
}

// AddEvent appends to the timeline of a copied order.
func (o *Order) AddEvent(ev Event) {
	o.Events = append(o.Events, ev)
}

func ordersTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableOrders,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Order]{parts: 4, account: true, key: func(o *Order) []string {
				return o.Account().key(string(o.Kind), o.OutOrderNo)
			}}},
			"seq": {Name: "seq", Unique: true, Indexer: seqIndex[*Order]{seq: func(o *Order) uint64 { return o.Seq }}},
		},
	}
}

// Order returns an account's order of a kind by out_order_no, or ErrNotFound.
func (tx ReadTxn) Order(a Account, kind Kind, outOrderNo string) (*Order, error) {
	return first[*Order](tx, tableOrders, "id", a.MchID, a.SubMchID, string(kind), outOrderNo)
}

// OrderByQueryID returns an account's order of a kind by query_id, or ErrNotFound.
func (tx ReadTxn) OrderByQueryID(a Account, kind Kind, queryID string) (*Order, error) {
	seq, ok := queryIDSeq(queryID)
	if !ok {
		return nil, ErrNotFound
	}
	o, err := first[*Order](tx, tableOrders, "seq", seq)
	if err != nil {
		return nil, err
	}
	if o.Account() != a || o.Kind != kind || o.QueryID() != queryID {
		return nil, ErrNotFound
	}
	return o, nil
}

// Orders returns the orders of one merchant (a service provider's of all
// its sub-merchants), or of all merchants when mchid is empty, in (mchid,
// sub_mchid, kind, out_order_no) order.
func (tx ReadTxn) Orders(mchid string) ([]*Order, error) {
	if mchid == "" {
		return all[*Order](tx, tableOrders, "id_prefix")
	}
	return all[*Order](tx, tableOrders, "id_prefix", mchid)
}

// PutOrder inserts or replaces an order: a new one, or a Copy of the
// stored one. Its repeated strings are interned first (interner).
func (tx WriteTxn) PutOrder(o *Order) error {
	o.intern(tx.words)
	if err := tx.tx.Insert(tableOrders, o); err != nil {
		return fmt.Errorf("put order %s/%s: %w", o.Account(), o.OutOrderNo, err)
	}
	return nil
}
