package mock

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strings"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/parking"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The sandbox's side of Pay Score parking: the user opens, pauses and
// closes the service for a plate (PUT /sandbox/users/{openid}/plates/…),
// sees their plates with the entries open on them, and repays an advance
// (POST /sandbox/orders/{mchid}/{out_trade_no}/pay); parking deductions
// are listed with the orders, with kind parking.

// PlateRequest is the body of PUT /sandbox/users/{openid}/plates/{plate_number}.
type PlateRequest struct {
	MchID string `json:"mchid"`
	// SubMchID is the sub-merchant, for a service provider: its first
	// when left out.
	SubMchID string `json:"sub_mchid,omitempty"`
	// AppID is the appid the openid is under: the merchant's first when
	// left out.
	AppID string `json:"appid,omitempty"`
	// PlateColor is BLUE when left out.
	PlateColor string `json:"plate_color,omitempty"`
	// State is NORMAL (open, or resume), PAUSE or OUT_SERVICE (close).
	State string `json:"state"`
}

// Plate is a user's parking service for a plate, with the plate's open
// entry, if any.
type Plate struct {
	MchID       string `json:"mchid"`
	SubMchID    string `json:"sub_mchid,omitempty"`
	AppID       string `json:"appid"`
	OpenID      string `json:"openid"`
	PlateNumber string `json:"plate_number"`
	PlateColor  string `json:"plate_color"`
	// ServiceState is NORMAL, PAUSE or OUT_SERVICE, as services/find
	// answers it.
	ServiceState    string        `json:"service_state"`
	ServiceOpenTime string        `json:"service_open_time,omitempty"`
	Entry           *ParkingEntry `json:"entry,omitempty"`
}

// ParkingEntry is a plate's open parking entry: the one a deduction can
// pay for.
type ParkingEntry struct {
	ID           string `json:"id"`
	OutParkingNo string `json:"out_parking_no"`
	ParkingName  string `json:"parking_name"`
	StartTime    string `json:"start_time"`
	// State is NORMAL or BLOCKED, with BlockReason (PAUSE, OVERDUE,
	// OUT_SERVICE or EVALUATION_FAILED).
	State       string `json:"state"`
	BlockReason string `json:"block_reason,omitempty"`
	NotifyURL   string `json:"notify_url"`
}

// SetPlate is the user opening (NORMAL), pausing (PAUSE), resuming
// (NORMAL) or closing (OUT_SERVICE) the parking service for a plate. The
// plate's open entry follows, with VEHICLE.ENTRANCE_STATE_CHANGE when its
// state changes.
func (s *Server) SetPlate(openid, plateNumber string, req PlateRequest) (Plate, error) {
	if req.MchID == "" {
		return Plate{}, apierr.Param(apierr.LocBody, "/mchid", "mchid is required", "the merchant the user opens the service with", nil)
	}
	m, err := s.store.Read().Merchant(req.MchID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Plate{}, errNoMerchant(req.MchID)
	case err != nil:
		return Plate{}, err
	}
	p, err := s.parking.SetPlate(m, parking.PlateChange{
		SubMchID: req.SubMchID, AppID: req.AppID, OpenID: openid,
		PlateNumber: plateNumber, PlateColor: req.PlateColor, State: req.State,
	})
	if err != nil {
		return Plate{}, err
	}
	return plateOf(s.store.Read(), p)
}

// plateOf shows a plate service with its plate's open entry.
func plateOf(tx store.ReadTxn, p *store.Plate) (Plate, error) {
	out := Plate{
		MchID: p.MchID, SubMchID: p.SubMchID, AppID: p.AppID, OpenID: p.OpenID, PlateNumber: p.PlateNumber,
		PlateColor: p.PlateColor, ServiceState: p.State,
	}
	if p.InService() {
		out.ServiceOpenTime = protocol.FormatRFC3339(p.OpenedAt)
	}
	e, err := tx.OpenParking(p.MchID, p.SubMchID, p.PlateNumber, p.PlateColor)
	switch {
	case err == nil:
		out.Entry = &ParkingEntry{
			ID: e.ID, OutParkingNo: e.OutParkingNo, ParkingName: e.ParkingName, StartTime: e.StartTime,
			State: e.State, BlockReason: e.BlockReason, NotifyURL: e.NotifyURL,
		}
	case !errors.Is(err, store.ErrNotFound):
		return Plate{}, err
	}
	return out, nil
}

// plates are a user's plate services.
func plates(tx store.ReadTxn, openid string) ([]Plate, error) {
	ps, err := tx.PlatesOfUser(openid)
	if err != nil {
		return nil, err
	}
	out := []Plate{}
	for _, p := range ps {
		v, err := plateOf(tx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parkingNewestFirst lists the parking deductions f may select, newest
// first, below the cursor before (0: all): by the sequence number of the
// deduction's first event, its creation, drawn from the same counter as
// every other order's.
func parkingNewestFirst(tx store.ReadTxn, f OrderFilter, before uint64) (iter.Seq2[uint64, orderRow], error) {
	if f.Kind != "" && f.Kind != string(store.KindParking) {
		return below([]orderRow(nil), before, parkingSeq), nil
	}
	ts, err := tx.ParkingTransactions(f.MchID)
	if err != nil {
		return nil, fmt.Errorf("list parking deductions: %w", err)
	}
	rows := make([]orderRow, len(ts))
	for i, t := range ts {
		rows[i] = orderRow{parking: t}
	}
	slices.SortFunc(rows, func(a, b orderRow) int { return cmp.Compare(parkingSeq(b), parkingSeq(a)) })
	return below(rows, before, parkingSeq), nil
}

// parkingSeq is a parking deduction's creation sequence number.
func parkingSeq(r orderRow) uint64 {
	if len(r.parking.Events) == 0 {
		return 0
	}
	return r.parking.Events[0].Seq
}

// matchParking reports whether a parking deduction, shown as so, is one of
// the orders f selects.
func (f OrderFilter) matchParking(t *store.ParkingTransaction, so SandboxOrder) bool {
	return !(f.MchID != "" && t.MchID != f.MchID || f.SubMchID != "" && t.SubMchID != f.SubMchID ||
		f.OpenID != "" && so.OpenID != f.OpenID || f.State != "" && so.State != f.State)
}

// parkingOrder is a deduction as the sandbox shows it: the query's answer,
// with its state and its out_trade_no as the order's.
func parkingOrder(tx store.ReadTxn, t *store.ParkingTransaction) (SandboxOrder, error) {
	v, err := parking.View(tx, t)
	if err != nil {
		return SandboxOrder{}, err
	}
	raw, err := protocol.MarshalJSON(v)
	if err != nil {
		return SandboxOrder{}, fmt.Errorf("parking transaction %s: %w", t.OutTradeNo, err)
	}
	return SandboxOrder{
		Kind: string(store.KindParking), SubMchID: t.SubMchID, OutOrderNo: t.OutTradeNo, State: v.TradeState, OpenID: t.OpenID,
		CreatedAt: protocol.FormatRFC3339(t.CreatedAt), UpdatedAt: protocol.FormatRFC3339(t.UpdatedAt), View: raw,
	}, nil
}

// findAnyOrder finds a merchant's order by its number: a service or
// payafter order (findOrder, in the sub-merchant subMchID names, or a
// service provider's first), else a parking deduction by out_trade_no: the
// sub-merchant's when subMchID names one, else under whichever
// sub-merchant has it; a number two sub-merchants share is then a
// conflict. Exactly one of o and t is set when err is nil.
func findAnyOrder(tx store.ReadTxn, mchid, subMchID, no string) (o *store.Order, t *store.ParkingTransaction, err error) {
	o, err = findOrder(tx, mchid, subMchID, no)
	var nf *apierr.Error
	if !errors.As(err, &nf) || nf.Code != apierr.NotFound {
		return o, nil, err
	}
	notFound := err
	if subMchID != "" {
		t, err := tx.ParkingTransaction(mchid, subMchID, no)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, notFound
		}
		return nil, t, err
	}
	ts, err := tx.ParkingTransactionsByOutTradeNo(mchid, no)
	switch {
	case err != nil:
		return nil, nil, err
	case len(ts) == 0:
		return nil, nil, notFound
	case len(ts) > 1:
		var subs []string
		for _, t := range ts {
			subs = append(subs, t.SubMchID)
		}
		return nil, nil, apierr.Newf(apierr.Conflict, "merchant %s has parking deductions %s under several sub-merchants (%s)", mchid, no, strings.Join(subs, ", "))
	}
	return nil, ts[0], nil
}

func (s *Server) sbSetPlate(r *http.Request) reply {
	var req PlateRequest
	if err := decodeJSON(r, &req); err != nil {
		return fail(err)
	}
	v := sbVars(r)
	return answer(s.SetPlate(v["openid"], v["plate_number"], req))
}
