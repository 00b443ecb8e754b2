package payscore

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// What the sandbox's WeChat user does when a scenario says so: confirm an
// order after a delay, never confirm, close the service mid-service, or
// decline to open it. Each decision is noted on the order's timeline.

// userCreated applies a scenario to a CREATED order waiting for the user:
// the user confirms it after a delay.
func (s *Service) userCreated(tx store.WriteTxn, o *store.Order, now time.Time) {
	fx, applied := s.scenarios.User(subject(o))
	if fx == nil || fx.ConfirmAfter == nil {
		return
	}
	d := fx.ConfirmAfter.D()
	s.note(o, now, timelineUser, fmt.Sprintf("%s: the user will confirm in %s", applied, d))
	confirm := s.ConfirmOrder
	if o.Kind == store.KindPayAfter {
		confirm = s.ConfirmPayAfter
	}
	a, no := o.Account(), o.OutOrderNo
	clock.Later(tx, s.clock, clock.Job{
		At: now.Add(d), Seq: s.store.NextSeq(), Label: "the user confirms " + a.String() + "/" + no + " (" + applied.String() + ")", Owner: a.MchID,
		Run: func() {
			if err := confirm(a, no, ""); err != nil && !isStateRefusal(err) {
				s.log.Error("scenario confirmation", "order", a.String()+"/"+no, "err", err)
			}
		},
	})
}

// userStarted applies a scenario to an order the user has started using:
// the user closes the service after a delay (PAYSCORE.USER_CLOSE_SERVICE).
func (s *Service) userStarted(tx store.WriteTxn, o *store.Order, now time.Time) {
	fx, applied := s.scenarios.User(subject(o))
	if fx == nil || fx.RevokeAfter == nil {
		return
	}
	d := fx.RevokeAfter.D()
	s.note(o, now, timelineUser, fmt.Sprintf("%s: the user will close the service in %s", applied, d))
	a, user, serviceID := o.Account(), o.User(), o.ServiceID
	clock.Later(tx, s.clock, clock.Job{
		At: now.Add(d), Seq: s.store.NextSeq(), Label: "the user closes the service " + a.String() + "/" + user + " (" + applied.String() + ")", Owner: a.MchID,
		Run: func() {
			_, _ = s.Revoke(a.MchID, a.SubMchID, user, serviceID) // nothing to revoke is not a failure
		},
	})
}

// userRefusesConfirm is a scenario's user who never confirms.
func (s *Service) userRefusesConfirm(o *store.Order) error {
	if fx, applied := s.scenarios.User(subject(o)); fx != nil && fx.NeverConfirm {
		return apierr.Newf(apierr.Conflict, "%s: the user never confirms; the order expires unless cancelled", applied)
	}
	return nil
}

// userRefusesAuthorization is a scenario's user who declines to open the service.
func (s *Service) userRefusesAuthorization(a store.Account, openid, serviceID string) error {
	if fx, applied := s.scenarios.User(scenario.Subject{MchID: a.MchID, SubMchID: a.SubMchID, OpenID: openid, ServiceID: serviceID}); fx != nil && fx.RejectAuthorization {
		return apierr.Newf(apierr.Conflict, "%s: the user declines to open the service", applied)
	}
	return nil
}
