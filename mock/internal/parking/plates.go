package parking

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The plate service (protocol-parking.md §3, §9.1): the user opens,
// pauses and closes it in WeChat (the sandbox plays the user); the
// merchant reads it with services/find.

// FindPlate answers services/find: the user's service for the plate. A
// plate the user never opened, or opened under another appid, is
// OUT_SERVICE with no service_open_time.
func (s *Service) FindPlate(m *store.Merchant, q PlateQuery) (PlateService, error) {
	if err := checkPlateQuery(q, m); err != nil {
		return PlateService{}, err
	}
	out := PlateService{PlateNumber: q.PlateNumber, PlateColor: q.PlateColor, OpenID: q.OpenID, ServiceState: store.PlateOutService}
	p, err := s.store.Read().Plate(m.MchID, q.SubMchID, q.OpenID, q.PlateNumber, q.PlateColor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return out, nil
	case err != nil:
		return PlateService{}, err
	}
	if p.AppID == q.AppID && p.InService() {
		out.ServiceState, out.ServiceOpenTime = p.State, protocol.FormatRFC3339(p.OpenedAt)
	}
	return out, nil
}

// PlateChange is what the sandbox's user does to a plate's service with
// a merchant.
type PlateChange struct {
	SubMchID, AppID, OpenID string
	PlateNumber, PlateColor string
	State                   string // NORMAL (open or resume), PAUSE or OUT_SERVICE (close)
}

// plateMoves is the plate service's state machine (protocol-parking.md
// §9.1): from each state (a plate never opened is OUT_SERVICE), which
// states the user may move it to. Setting the state it has changes nothing.
var plateMoves = map[string][]string{
	store.PlateOutService: {store.PlateNormal},                        // open
	store.PlateNormal:     {store.PlatePause, store.PlateOutService},  // pause, close
	store.PlatePause:      {store.PlateNormal, store.PlateOutService}, // resume, close
}

// SetPlate is the user opening, pausing, resuming or closing the parking
// service for a plate. The plate's open entry follows, with
// VEHICLE.ENTRANCE_STATE_CHANGE when its state changes; all in one
// transaction. A plate is held by one user at a time: another user's
// opening it is refused until the holder closes it.
func (s *Service) SetPlate(m *store.Merchant, ch PlateChange) (*store.Plate, error) {
	if err := sandboxPlate(m, &ch); err != nil {
		return nil, err
	}
	tx := s.store.Write()
	defer tx.Abort()
	now := s.clock.Now()
	cur, err := tx.Plate(m.MchID, ch.SubMchID, ch.OpenID, ch.PlateNumber, ch.PlateColor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		cur = &store.Plate{MchID: m.MchID, SubMchID: ch.SubMchID, OpenID: ch.OpenID, AppID: ch.AppID,
			PlateNumber: ch.PlateNumber, PlateColor: ch.PlateColor, State: store.PlateOutService}
	case err != nil:
		return nil, err
	}
	if cur.State == ch.State {
		return cur, nil
	}
	if !slices.Contains(plateMoves[cur.State], ch.State) {
		return nil, refusal(cur.State, fmt.Sprintf("the service for %s is %s: it cannot become %s (open it first)", ch.PlateNumber, cur.State, ch.State))
	}
	if ch.State == store.PlateNormal && cur.State == store.PlateOutService {
		holder, err := tx.PlateHolder(m.MchID, ch.SubMchID, ch.PlateNumber, ch.PlateColor)
		switch {
		case err == nil:
			return nil, refusal(cur.State, fmt.Sprintf("user %s holds the service for %s %s: they must close it first", holder.OpenID, ch.PlateNumber, ch.PlateColor))
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	p := cur.Copy()
	if ch.State == store.PlateNormal && cur.State == store.PlateOutService {
		p.OpenedAt, p.AppID = now, ch.AppID
	}
	p.State, p.UpdatedAt = ch.State, now
	if err := tx.PutPlate(p); err != nil {
		return nil, err
	}
	if err := s.reassess(tx, now, p.OpenID, p.MchID, p.SubMchID, p.PlateNumber, p.PlateColor); err != nil {
		return nil, err
	}
	tx.Commit()
	return p, nil
}

// sandboxPlate completes and checks a sandbox plate change: a partner's
// first sub-merchant and the merchant's (or sub-merchant's) first appid
// when left out, BLUE when no colour is given.
func sandboxPlate(m *store.Merchant, ch *PlateChange) error {
	if m.IsPartner() && ch.SubMchID == "" && len(m.SubMerchants) > 0 {
		ch.SubMchID = m.SubMerchants[0].SubMchID
	}
	if ch.AppID == "" {
		ch.AppID = m.AppIDs[0]
	}
	if ch.PlateColor == "" {
		ch.PlateColor = "BLUE"
	}
	if err := field.Segment("plate_number", ch.PlateNumber, field.PlateNumber); err != nil {
		return err
	}
	c := field.Body()
	c.Enum("/plate_color", ch.PlateColor, plateColors...)
	if c.Required("/state", ch.State != "") {
		c.Enum("/state", ch.State, store.PlateNormal, store.PlatePause, store.PlateOutService)
	}
	if !c.Failed() && !m.IsPartner() && ch.SubMchID != "" {
		c.Rule("/sub_mchid", fmt.Sprintf("merchant %s is a direct merchant: it has no sub-merchants", m.MchID), "leave sub_mchid out", ch.SubMchID)
	}
	if _, ok := m.SubMerchant(ch.SubMchID); !c.Failed() && m.IsPartner() && !ok {
		c.Rule("/sub_mchid", fmt.Sprintf("sub_mchid %s is not bound to service provider %s", ch.SubMchID, m.MchID), "name one of the service provider's sub_merchants", ch.SubMchID)
	}
	appID(c, m, ch.SubMchID, ch.AppID)
	return c.Err()
}
