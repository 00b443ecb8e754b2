package payscore

import (
	"errors"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/payscore/callback"
	"github.com/mockpay/mockpay/mock/internal/payscore/rules"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The 平台收付通 binding of a sub-merchant to a service provider's Pay
// Score service (服务账户绑定, protocol-partner.md §6): an application is
// PROCESSING, then decided on the clock.

// ApplicationReview is how long a binding application stays PROCESSING,
// in domain time.
const ApplicationReview = 5 * time.Second

// ApplyServiceAccount records a service provider's application to bind the
// sub-merchant it acts for (POST
// /v3/payscore/partner/service-account-applications). It is PROCESSING,
// and APPROVED ApplicationReview later, with PAYSCORE.BIND_SERVICE_ACCOUNT
// to its result_notify_url if it gave one. An identical retry returns the
// application as it stands; the same out_apply_no with other parameters is
// refused.
func (s *Service) ApplyServiceAccount(who store.Caller, req *wire.ServiceAccountRequest) (wire.ServiceAccountApplication, error) {
	if err := rules.ServiceAccount(req, who); err != nil {
		return wire.ServiceAccountApplication{}, err
	}
	dg := digest(req)
	tx := s.store.Write()
	defer tx.Abort()
	a, err := tx.Application(who.MchID, req.OutApplyNo)
	switch {
	case err == nil && a.Digest == dg:
		return wire.ApplicationView(a), nil
	case err == nil:
		return wire.ServiceAccountApplication{}, apierr.New(apierr.InvalidRequest, "请确认相同申请单号是否使用了不同的参数").WithDetail(apierr.Detail{
			Field: "/out_apply_no", Value: req.OutApplyNo, Location: apierr.LocBody,
			Issue: "an application with this out_apply_no exists with other parameters; an identical retry returns it",
		})
	case !errors.Is(err, store.ErrNotFound):
		return wire.ServiceAccountApplication{}, fmt.Errorf("application %s/%s: %w", who.MchID, req.OutApplyNo, err)
	}
	now := s.clock.Now()
	a = &store.Application{
		MchID: who.MchID, SubMchID: who.Sub.SubMchID, OutApplyNo: req.OutApplyNo, ServiceID: req.ServiceID,
		AppID: req.AppID, SubAppID: req.SubAppID, ResultNotifyURL: req.ResultNotifyURL,
		State: store.ApplicationProcessing, Digest: dg, CreatedAt: now, UpdatedAt: now,
		Due: s.store.DueIn(now, ApplicationReview),
	}
	if err := tx.PutApplication(a); err != nil {
		return wire.ServiceAccountApplication{}, err
	}
	clock.Later(tx, s.clock, s.decisionJob(a))
	tx.Commit()
	return wire.ApplicationView(a), nil
}

// ServiceAccountApplication returns a service provider's application by
// its out_apply_no (GET .../service-account-applications/{out_apply_no}).
func (s *Service) ServiceAccountApplication(who store.Caller, outApplyNo string) (wire.ServiceAccountApplication, error) {
	a, err := s.store.Read().Application(who.MchID, outApplyNo)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return wire.ServiceAccountApplication{}, apierr.New(apierr.ResourceNotExists, "申请单不存在").WithDetail(apierr.Detail{
			Field: "out_apply_no", Value: outApplyNo, Location: apierr.LocPath, Issue: "no application of this service provider has this out_apply_no",
		})
	case err != nil:
		return wire.ServiceAccountApplication{}, fmt.Errorf("application %s/%s: %w", who.MchID, outApplyNo, err)
	}
	return wire.ApplicationView(a), nil
}

// decisionJob is the timer that decides a PROCESSING application at a.Due.
func (s *Service) decisionJob(a *store.Application) clock.Job {
	mchid, no := a.MchID, a.OutApplyNo
	return clock.Job{At: a.Due.At, Seq: a.Due.Seq, Label: "binding application " + mchid + "/" + no, Run: func() { s.decide(mchid, no) }, Owner: mchid}
}

// decide approves a PROCESSING application: the sandbox knows every
// bound sub-merchant, so a review finds nothing against it.
func (s *Service) decide(mchid, outApplyNo string) {
	tx := s.store.Write()
	defer tx.Abort()
	if err := s.decideTxn(tx, mchid, outApplyNo); err != nil {
		s.log.Error("binding application", "mchid", mchid, "out_apply_no", outApplyNo, "err", err)
		return
	}
	tx.Commit()
}

func (s *Service) decideTxn(tx store.WriteTxn, mchid, outApplyNo string) error {
	a, err := tx.Application(mchid, outApplyNo)
	if errors.Is(err, store.ErrNotFound) || err == nil && a.State != store.ApplicationProcessing {
		return nil // removed with its merchant, or decided already
	}
	if err != nil {
		return err
	}
	d := a.Copy()
	d.State, d.UpdatedAt = store.ApplicationApproved, s.clock.Now()
	if err := tx.PutApplication(d); err != nil {
		return err
	}
	if d.ResultNotifyURL == "" {
		return nil // without one, the result is only queried
	}
	m, err := tx.Merchant(d.MchID)
	if err != nil {
		return err
	}
	_, err = s.notifier.Enqueue(tx, callback.Application(d, m, event.BindServiceAccount))
	return err
}
