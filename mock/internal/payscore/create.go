package payscore

import (
	"errors"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// creation is what one of the three creates (service order, direct-complete,
// payafter order) brings to the sequence they share.
type creation struct {
	kind       store.Kind
	outOrderNo string
	// request is fingerprinted: a retry with identical parameters returns
	// the order (原参重入), other parameters under the same out_order_no are
	// refused.
	request any
	// authorized is the user a 免确认 create needs to hold an AVAILABLE
	// authorization of serviceID; none when the user will confirm.
	authorized store.UserRef
	serviceID  string
	// build fills in the request's parts of the new order.
	build func(o *store.Order)
	// start puts the new order in its first state, in tx.
	start func(tx store.WriteTxn, o *store.Order, now time.Time) error
}

// create runs the sequence every create shares, its fields already checked
// at now: an identical retry answers with the stored order; otherwise the
// user's authorization (免确认), the new order, its first state, and one
// commit.
func (s *Service) create(who store.Caller, now time.Time, c creation) (*store.Order, error) {
	a := who.Account()
	dg := digest(c.request)
	tx := s.store.Write()
	defer tx.Abort()
	o, err := tx.Order(a, c.kind, c.outOrderNo)
	switch {
	case err == nil && o.CreateDigest != dg:
		return nil, errSameNumberOtherParams(c.outOrderNo)
	case err == nil:
		return o, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("create %s/%s: %w", a, c.outOrderNo, err)
	}
	if c.authorized.ID() != "" {
		if err := requireAuthorization(tx.ReadTxn, a, c.serviceID, c.authorized); err != nil {
			return nil, err
		}
	}
	o = &store.Order{
		Seq: s.store.NextSeq(), Kind: c.kind, MchID: a.MchID, SubMchID: a.SubMchID, OutOrderNo: c.outOrderNo, OrderID: s.newOrderID(now),
		CreateDigest: dg, CreatedAt: now, UpdatedAt: now,
	}
	c.build(o)
	if err := c.start(tx, o, now); err != nil {
		return nil, err
	}
	if err := tx.PutOrder(o); err != nil {
		return nil, err
	}
	tx.Commit()
	return o, nil
}

func errSameNumberOtherParams(outOrderNo string) error {
	return apierr.New(apierr.InvalidRequest, "请确认相同单号是否使用了不同的参数").WithDetail(apierr.Detail{
		Field: "/out_order_no", Value: outOrderNo, Location: apierr.LocBody,
		Issue: "an order with this out_order_no exists with other parameters; an identical retry returns it",
	})
}

// requireAuthorization refuses a 免确认 order for a user without an
// AVAILABLE authorization of the account's service (docs/fidelity.md: the
// code), naming the field the user was named by.
func requireAuthorization(tx store.ReadTxn, a store.Account, serviceID string, u store.UserRef) error {
	p, err := tx.PermissionOfUser(a, serviceID, u)
	if err == nil && p.State == store.PermissionAvailable {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	field := "/openid"
	if u.OpenID == "" {
		field = "/sub_openid"
	}
	return apierr.New(apierr.InvalidRequest, "用户未授权该服务，请先引导用户开启服务").WithDetail(apierr.Detail{
		Field: field, Value: u.ID(), Location: apierr.LocBody,
		Issue: "need_user_confirm=false needs the user to hold an AVAILABLE authorization of the service (sandbox: POST /sandbox/users/{openid}/authorize)",
	})
}
