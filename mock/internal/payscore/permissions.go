package payscore

import (
	"errors"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/payscore/callback"
	"github.com/mockpay/mockpay/mock/internal/payscore/rules"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The authorization ("permissions") API of 免确认模式 (protocol.md §2, §3).

// The 用户分层 WeChat Pay assesses a user at when the user authorises,
// which the authorization queries show (user_risk_level,
// risk_level_version): the values of the API's own example, as the mock
// has no risk model (docs/fidelity.md).
const (
	assessedRiskLevel        = 1
	assessedRiskLevelVersion = 1
)

func errPermissionNotExist(field, value, loc string) error {
	return apierr.New(apierr.OrderNotExist, "请求操作的授权记录不存在").WithDetail(apierr.Detail{
		Field: field, Value: value, Location: loc, Issue: "the user never had an authorization record of this service with this merchant",
	})
}

// UserServiceState tells whether a user may use the service.
func (s *Service) UserServiceState(m *store.Merchant, serviceID, appid, openid string) (wire.UserServiceState, error) {
	if err := rules.UserServiceState(m, serviceID, appid, openid); err != nil {
		return wire.UserServiceState{}, err
	}
	st := wire.UserServiceState{AppID: appid, ServiceID: serviceID, OpenID: openid, UseServiceState: store.PermissionUnavailable}
	p, err := s.store.Read().PermissionByOpenID(m.MchID, serviceID, openid)
	if err == nil && p.State == store.PermissionAvailable {
		st.UseServiceState = store.PermissionAvailable
	}
	return st, nil
}

// PreAuthorize records the merchant's pre-authorization and returns the
// token for the mini-program. An identical retry returns the same token.
func (s *Service) PreAuthorize(m *store.Merchant, req *wire.PreAuthorizeRequest) (wire.PreAuthorizeResponse, error) {
	if err := rules.PreAuthorize(req, m); err != nil {
		return wire.PreAuthorizeResponse{}, err
	}
	dg := digest(req)
	tx := s.store.Write()
	defer tx.Abort()
	if p, err := tx.PermissionByCode(m.MchID, req.ServiceID, req.AuthorizationCode); err == nil {
		if p.PreAuthDigest == dg && p.State == store.PermissionUnbound {
			return wire.PreAuthorizeResponse{ApplyPermissionsToken: p.ApplyToken}, nil
		}
		return wire.PreAuthorizeResponse{}, apierr.New(apierr.InvalidRequest, "授权协议号已被使用").WithDetail(apierr.Detail{
			Field: "/authorization_code", Value: req.AuthorizationCode, Location: apierr.LocBody,
			Issue: "authorization_code must be unique per merchant; this one is taken",
		})
	}
	now := s.clock.Now()
	p := &store.Permission{
		ID: s.newID(), MchID: m.MchID, ServiceID: req.ServiceID, AppID: req.AppID,
		AuthorizationCode: req.AuthorizationCode, State: store.PermissionUnbound, NotifyURL: req.NotifyURL,
		ApplyToken: s.ids.Token(64), PreAuthDigest: dg, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.PutPermission(p); err != nil {
		return wire.PreAuthorizeResponse{}, err
	}
	tx.Commit()
	return wire.PreAuthorizeResponse{ApplyPermissionsToken: p.ApplyToken}, nil
}

// PermissionByCode queries a record by authorization_code.
func (s *Service) PermissionByCode(m *store.Merchant, code, serviceID string) (wire.Permission, error) {
	if err := rules.PermissionQuery(m, serviceID, "", false); err != nil {
		return wire.Permission{}, err
	}
	p, err := s.store.Read().PermissionByCode(m.MchID, serviceID, code)
	if errors.Is(err, store.ErrNotFound) {
		return wire.Permission{}, errPermissionNotExist("authorization_code", code, apierr.LocPath)
	}
	if err != nil {
		return wire.Permission{}, err
	}
	return wire.PermissionView(p), nil
}

// PermissionByOpenID queries a user's record; it carries no notify_url.
func (s *Service) PermissionByOpenID(m *store.Merchant, openid, serviceID, appid string) (wire.Permission, error) {
	if err := rules.PermissionQuery(m, serviceID, appid, true); err != nil {
		return wire.Permission{}, err
	}
	p, err := s.store.Read().PermissionByOpenID(m.MchID, serviceID, openid)
	if errors.Is(err, store.ErrNotFound) {
		return wire.Permission{}, errPermissionNotExist("openid", openid, apierr.LocPath)
	}
	if err != nil {
		return wire.Permission{}, err
	}
	return wire.PermissionByOpenIDView(p), nil
}

// TerminateByCode ends the authorization with an authorization_code.
func (s *Service) TerminateByCode(m *store.Merchant, code string, req *wire.TerminateRequest) error {
	if err := rules.Terminate(req, m, false); err != nil {
		return err
	}
	return s.terminate(func(tx store.ReadTxn) (*store.Permission, error) {
		p, err := tx.PermissionByCode(m.MchID, req.ServiceID, code)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errPermissionNotExist("authorization_code", code, apierr.LocPath)
		}
		return p, err
	}, "terminated by the merchant: "+req.Reason)
}

// TerminateByOpenID ends a user's authorization (both the openid endpoint
// and the older users/{openid}/permissions/{service_id} one).
func (s *Service) TerminateByOpenID(m *store.Merchant, openid string, req *wire.TerminateRequest) error {
	if err := rules.Terminate(req, m, true); err != nil {
		return err
	}
	return s.terminate(func(tx store.ReadTxn) (*store.Permission, error) {
		p, err := tx.PermissionByOpenID(m.MchID, req.ServiceID, openid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errPermissionNotExist("openid", openid, apierr.LocPath)
		}
		return p, err
	}, "terminated by the merchant: "+req.Reason)
}

// terminate moves an AVAILABLE authorization to UNAVAILABLE and fires
// PAYSCORE.USER_CLOSE_SERVICE. Terminating an ended authorization again
// succeeds and changes nothing; one the user never finished is refused.
func (s *Service) terminate(find func(store.ReadTxn) (*store.Permission, error), why string) error {
	tx := s.store.Write()
	defer tx.Abort()
	p, err := find(tx.ReadTxn)
	if err != nil {
		return err
	}
	switch p.State {
	case store.PermissionUnavailable:
		return nil
	case store.PermissionUnbound:
		return apierr.New(apierr.InvalidRequest, "用户尚未完成授权，无法解除").WithDetail(apierr.Detail{
			Field: "authorization_state", Value: p.State, Issue: "the user has not authorised yet; there is nothing to terminate",
		})
	}
	if _, err := s.closePermission(tx, p, s.clock.Now()); err != nil {
		return err
	}
	tx.Commit()
	s.log.Debug("authorization terminated", "mchid", p.MchID, "openid", p.OpenID, "why", why)
	return nil
}

func (s *Service) closePermission(tx store.WriteTxn, p *store.Permission, now time.Time) (*store.Permission, error) {
	u := p.Copy()
	u.State, u.CancelTime, u.UpdatedAt = store.PermissionUnavailable, now, now
	if err := tx.PutPermission(u); err != nil {
		return nil, err
	}
	return u, s.notifyPermission(tx, u, now, event.UserCloseService)
}

// notifyPermission enqueues an authorization callback of type t.
func (s *Service) notifyPermission(tx store.WriteTxn, p *store.Permission, now time.Time, t event.Type) error {
	m, err := tx.Merchant(p.MchID)
	if err != nil {
		return err
	}
	_, err = s.notifier.Enqueue(tx, callback.Permission(p, m, t, now))
	return err
}

// sandboxMerchant finds the merchant a sandbox action names: NOT_FOUND when
// it is not registered, an internal error when the store fails.
func sandboxMerchant(tx store.ReadTxn, mchid string) (*store.Merchant, error) {
	m, err := tx.Merchant(mchid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, apierr.Newf(apierr.NotFound, "merchant %s is not registered", mchid)
	case err != nil:
		return nil, fmt.Errorf("merchant %s: %w", mchid, err)
	}
	return m, nil
}

// sandboxServiceID refuses a service_id the merchant does not have.
func sandboxServiceID(m *store.Merchant, serviceID string) error {
	if m.HasServiceID(serviceID) {
		return nil
	}
	return apierr.Param(apierr.LocBody, "/service_id", fmt.Sprintf("service_id %s is not a service of merchant %s", serviceID, m.MchID),
		"not one of the merchant's service_ids", serviceID)
}

// Authorize is the user opening the service in the Pay Score mini-program
// (sandbox). With a code it completes that pre-authorization; without one
// it completes the merchant's latest unfinished pre-authorization of the
// service, or re-opens the user's ended one, or opens one without a code.
// It fires PAYSCORE.USER_OPEN_SERVICE; authorizing again changes nothing.
func (s *Service) Authorize(mchid, openid, serviceID, appid, code string) (wire.Permission, error) {
	tx := s.store.Write()
	defer tx.Abort()
	m, err := sandboxMerchant(tx.ReadTxn, mchid)
	if err != nil {
		return wire.Permission{}, err
	}
	if serviceID == "" {
		serviceID = m.ServiceIDs[0]
	}
	if appid == "" {
		appid = m.AppIDs[0]
	}
	if err := sandboxServiceID(m, serviceID); err != nil {
		return wire.Permission{}, err
	}
	if !m.HasAppID(appid) {
		return wire.Permission{}, apierr.Param(apierr.LocBody, "/appid", fmt.Sprintf("appid %s is not bound to merchant %s", appid, mchid),
			"not one of the merchant's appids", appid)
	}
	if err := s.userRefusesAuthorization(mchid, openid, serviceID); err != nil {
		return wire.Permission{}, err
	}
	p, err := s.findToAuthorize(tx.ReadTxn, m, serviceID, openid, code)
	if err != nil {
		return wire.Permission{}, err
	}
	if p.State == store.PermissionAvailable && p.OpenID == openid {
		return wire.PermissionView(p), nil
	}
	now := s.clock.Now()
	u := p.Copy()
	u.OpenID, u.AppID, u.State, u.SuccessTime, u.UpdatedAt = openid, appid, store.PermissionAvailable, now, now
	u.UserRiskLevel, u.RiskLevelVersion = assessedRiskLevel, assessedRiskLevelVersion
	if err := tx.PutPermission(u); err != nil {
		return wire.Permission{}, err
	}
	if err := s.notifyPermission(tx, u, now, event.UserOpenService); err != nil {
		return wire.Permission{}, err
	}
	tx.Commit()
	return wire.PermissionView(u), nil
}

func (s *Service) findToAuthorize(tx store.ReadTxn, m *store.Merchant, serviceID, openid, code string) (*store.Permission, error) {
	if code != "" {
		p, err := tx.PermissionByCode(m.MchID, serviceID, code)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, apierr.Newf(apierr.NotFound, "merchant %s has no pre-authorization %s for service %s", m.MchID, code, serviceID)
		case err != nil:
			return nil, err
		case p.OpenID != "" && p.OpenID != openid:
			return nil, apierr.Newf(apierr.Conflict, "authorization %s belongs to user %s", code, p.OpenID)
		}
		return p, nil
	}
	all, err := tx.PermissionsOfMerchant(m.MchID)
	if err != nil {
		return nil, err
	}
	var pending *store.Permission
	for _, p := range all {
		if p.ServiceID == serviceID && p.State == store.PermissionUnbound && (pending == nil || p.CreatedAt.After(pending.CreatedAt)) {
			pending = p
		}
	}
	if pending != nil {
		return pending, nil
	}
	p, err := tx.PermissionByOpenID(m.MchID, serviceID, openid)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	now := s.clock.Now()
	return &store.Permission{ID: s.newID(), MchID: m.MchID, ServiceID: serviceID, CreatedAt: now}, nil
}

// Revoke is the user closing the service in WeChat (sandbox); it fires
// PAYSCORE.USER_CLOSE_SERVICE.
func (s *Service) Revoke(mchid, openid, serviceID string) (wire.Permission, error) {
	tx := s.store.Write()
	defer tx.Abort()
	m, err := sandboxMerchant(tx.ReadTxn, mchid)
	if err != nil {
		return wire.Permission{}, err
	}
	if serviceID == "" {
		serviceID = m.ServiceIDs[0]
	}
	if err := sandboxServiceID(m, serviceID); err != nil {
		return wire.Permission{}, err
	}
	p, err := tx.PermissionByOpenID(mchid, serviceID, openid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return wire.Permission{}, apierr.Newf(apierr.NotFound, "user %s has no authorization of service %s with merchant %s", openid, serviceID, mchid)
	case err != nil:
		return wire.Permission{}, fmt.Errorf("revoke: authorization of %s: %w", openid, err)
	case p.State != store.PermissionAvailable:
		return wire.Permission{}, apierr.Newf(apierr.Conflict, "the authorization of user %s for service %s is %s: only an AVAILABLE one can be revoked", openid, serviceID, p.State)
	}
	u, err := s.closePermission(tx, p, s.clock.Now())
	if err != nil {
		return wire.Permission{}, err
	}
	tx.Commit()
	return wire.PermissionView(u), nil
}
