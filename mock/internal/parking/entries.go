package parking

import (
	"errors"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Parking entries (protocol-parking.md §4, §9.2): created when a vehicle
// enters, usable (NORMAL) or not (BLOCKED) as the plate's holder and
// their Pay Score stand, and followed while open: a change of the plate's
// service or of the user's arrears moves the entry and fires
// VEHICLE.ENTRANCE_STATE_CHANGE. A newer entry of the plate supersedes it;
// a deduction consumes it.

// CreateParking creates a parking entry (POST /v3/vehicle/parking/parkings).
// The plate's previous open entry is superseded. A retry with identical
// parameters returns the entry as it stands; the same out_parking_no with
// other parameters is refused.
func (s *Service) CreateParking(m *store.Merchant, req *CreateParkingRequest) (Parking, error) {
	if err := checkCreateParking(req, m); err != nil {
		return Parking{}, err
	}
	dg := digest(req)
	tx := s.store.Write()
	defer tx.Abort()
	switch cur, err := tx.Parking(m.MchID, req.SubMchID, req.OutParkingNo); {
	case err == nil && cur.CreateDigest == dg:
		return ParkingView(cur), nil
	case err == nil:
		return Parking{}, apierr.New(apierr.InvalidRequest, "商户入场id已存在").WithDetail(apierr.Detail{
			Field: "/out_parking_no", Value: req.OutParkingNo, Location: apierr.LocBody,
			Issue: "an entry with this out_parking_no exists with other parameters; a retry must repeat them, a new entry needs a new out_parking_no",
		})
	case !errors.Is(err, store.ErrNotFound):
		return Parking{}, err
	}
	now := s.clock.Now()
	start, _ := time.Parse(time.RFC3339, req.StartTime) // checked
	p := &store.Parking{
		ID: s.ids.Upper(19), MchID: m.MchID, SubMchID: req.SubMchID, OutParkingNo: req.OutParkingNo,
		PlateNumber: req.PlateNumber, PlateColor: req.PlateColor, NotifyURL: req.NotifyURL,
		StartTime: req.StartTime, Start: start, ParkingName: req.ParkingName, FreeDuration: *req.FreeDuration,
		CreateDigest: dg, CreatedAt: now, UpdatedAt: now,
	}
	switch prev, err := tx.OpenParking(m.MchID, req.SubMchID, req.PlateNumber, req.PlateColor); {
	case err == nil:
		old := prev.Copy()
		old.Closed, old.UpdatedAt = store.ParkingSuperseded, now
		if err := tx.PutParking(old); err != nil {
			return Parking{}, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return Parking{}, err
	}
	holder, err := tx.PlateHolder(m.MchID, req.SubMchID, req.PlateNumber, req.PlateColor)
	switch {
	case err == nil:
		_, p.EvaluationFailed = s.scenarios.RiskRejected(scenario.Subject{MchID: m.MchID, OpenID: holder.OpenID, OutOrderNo: req.OutParkingNo})
	case !errors.Is(err, store.ErrNotFound):
		return Parking{}, err
	}
	if p.State, p.BlockReason, err = usability(tx.ReadTxn, p); err != nil {
		return Parking{}, err
	}
	if err := tx.PutParking(p); err != nil {
		return Parking{}, err
	}
	tx.Commit()
	return ParkingView(p), nil
}

// usability is what an entry's state is now: BLOCKED, and why, when the
// user failed the assessment at entry (for good), when nobody holds the
// plate's service, when its holder paused it, or when its holder owes
// WeChat Pay an advance; else NORMAL.
func usability(tx store.ReadTxn, p *store.Parking) (state, reason string, err error) {
	if p.EvaluationFailed {
		return store.ParkingBlocked, store.BlockEvaluationFailed, nil
	}
	holder, err := tx.PlateHolder(p.MchID, p.SubMchID, p.PlateNumber, p.PlateColor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.ParkingBlocked, store.BlockOutService, nil
	case err != nil:
		return "", "", err
	case holder.State == store.PlatePause:
		return store.ParkingBlocked, store.BlockPause, nil
	}
	owes, err := tx.InArrears(holder.OpenID)
	switch {
	case err != nil:
		return "", "", err
	case owes:
		return store.ParkingBlocked, store.BlockOverdue, nil
	}
	return store.ParkingNormal, "", nil
}

// reassess brings a plate's open entry, if any, up to date in tx after
// something the user openid did, with VEHICLE.ENTRANCE_STATE_CHANGE when
// its state or the reason it is blocked changed.
func (s *Service) reassess(tx store.WriteTxn, now time.Time, openid, mchid, subMchID, plateNumber, plateColor string) error {
	cur, err := tx.OpenParking(mchid, subMchID, plateNumber, plateColor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	state, reason, err := usability(tx.ReadTxn, cur)
	if err != nil || state == cur.State && reason == cur.BlockReason {
		return err
	}
	p := cur.Copy()
	p.State, p.BlockReason, p.UpdatedAt = state, reason, now
	if err := tx.PutParking(p); err != nil {
		return err
	}
	return s.notifyEntry(tx, p, openid, now)
}

// reassessUser brings the open entries of the plates a user holds up to
// date, after the user's arrears changed.
func (s *Service) reassessUser(tx store.WriteTxn, now time.Time, openid string) error {
	plates, err := tx.PlatesOfUser(openid)
	if err != nil {
		return err
	}
	for _, p := range plates {
		if !p.InService() {
			continue
		}
		if err := s.reassess(tx, now, openid, p.MchID, p.SubMchID, p.PlateNumber, p.PlateColor); err != nil {
			return err
		}
	}
	return nil
}

// notifyEntry enqueues VEHICLE.ENTRANCE_STATE_CHANGE about p to the
// entry's notify_url, sealed with the calling merchant's APIv3 key;
// scenarios match it on the user openid whose action moved it.
func (s *Service) notifyEntry(tx store.WriteTxn, p *store.Parking, openid string, now time.Time) error {
	m, err := tx.Merchant(p.MchID)
	if err != nil {
		return fmt.Errorf("entry %s: %w", p.ID, err)
	}
	_, err = s.notifier.Enqueue(tx, notify.Event{
		MchID: p.MchID, SubMchID: p.SubMchID, APIv3Key: m.APIv3Key, Type: event.EntranceStateChange, NotifyURL: p.NotifyURL,
		Resource: entranceEvent(p, now), OrderKind: store.KindParkingEntry, OutOrderNo: p.OutParkingNo, OpenID: openid,
	})
	return err
}
