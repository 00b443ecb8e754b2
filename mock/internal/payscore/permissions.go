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

// UserServiceState tells whether a user may use the service. A service
// provider's call may name a sub-merchant (whose authorizations alone then
// count) or none (any of its sub-merchants'): the 2019 API has no
// sub_mchid, so how WeChat Pay scopes a partner's call is unconfirmed.
func (s *Service) UserServiceState(who store.Caller, serviceID, appid, openid string) (wire.UserServiceState, error) {
	if err := rules.UserServiceState(who.Merchant, serviceID, appid, openid); err != nil {
		return wire.UserServiceState{}, err
	}
	st := wire.UserServiceState{AppID: appid, ServiceID: serviceID, OpenID: openid, UseServiceState: store.PermissionUnavailable}
	tx := s.store.Read()
	if who.IsPartner() && who.Sub == nil {
		ps, err := tx.PermissionsOfMerchant(who.MchID)
		if err != nil {
			return wire.UserServiceState{}, fmt.Errorf("user-service-state of %s: %w", openid, err)
		}
		for _, p := range ps {
			if p.ServiceID == serviceID && p.OpenID == openid && p.State == store.PermissionAvailable {
				st.UseServiceState = store.PermissionAvailable
			}
		}
		return st, nil
	}
	p, err := tx.PermissionOfUser(who.Account(), serviceID, store.UserRef{OpenID: openid})
	if err == nil && p.State == store.PermissionAvailable {
		st.UseServiceState = store.PermissionAvailable
	}
	return st, nil
}

// PreAuthorize records the merchant's pre-authorization and returns the
// token for the mini-program. An identical retry returns the same token.
// A service provider's is its sub-merchant's, and may name the
// sub-merchant's app the user will authorise in (sub_appid).
func (s *Service) PreAuthorize(who store.Caller, req *wire.PreAuthorizeRequest) (wire.PreAuthorizeResponse, error) {
	if err := rules.PreAuthorize(req, who); err != nil {
		return wire.PreAuthorizeResponse{}, err
	}
	a := who.Account()
	dg := digest(req)
	tx := s.store.Write()
	defer tx.Abort()
	if p, err := tx.PermissionByCode(a, req.ServiceID, req.AuthorizationCode); err == nil {
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
		ID: s.newID(), MchID: a.MchID, SubMchID: a.SubMchID, ServiceID: req.ServiceID, AppID: req.AppID, SubAppID: req.SubAppID,
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
func (s *Service) PermissionByCode(who store.Caller, code, serviceID string) (wire.Permission, error) {
	if err := rules.PermissionByCode(who.Merchant, serviceID); err != nil {
		return wire.Permission{}, err
	}
	p, err := s.store.Read().PermissionByCode(who.Account(), serviceID, code)
	if errors.Is(err, store.ErrNotFound) {
		return wire.Permission{}, errPermissionNotExist("authorization_code", code, apierr.LocPath)
	}
	if err != nil {
		return wire.Permission{}, err
	}
	return wire.PermissionView(p), nil
}

// PermissionByUser queries a user's record: the direct query by openid, or
// a service provider's search by openid or sub_openid. It carries no
// notify_url.
func (s *Service) PermissionByUser(who store.Caller, q wire.UserQuery) (wire.Permission, error) {
	if err := rules.PermissionByUser(q, who); err != nil {
		return wire.Permission{}, err
	}
	p, err := s.store.Read().PermissionOfUser(who.Account(), q.ServiceID, q.User)
	if errors.Is(err, store.ErrNotFound) {
		return wire.Permission{}, errNoUserPermission(who, q.User, apierr.LocQuery)
	}
	if err != nil {
		return wire.Permission{}, err
	}
	return wire.PermissionByOpenIDView(p), nil
}

// errNoUserPermission is errPermissionNotExist for a user named by openid
// or sub_openid: in the path of the direct merchant's calls, in the query
// or body (loc) of the partner's.
func errNoUserPermission(who store.Caller, u store.UserRef, loc string) error {
	switch {
	case who.Sub == nil:
		return errPermissionNotExist("openid", u.OpenID, apierr.LocPath)
	case u.OpenID == "":
		return errPermissionNotExist(param(loc, "sub_openid"), u.SubOpenID, loc)
	}
	return errPermissionNotExist(param(loc, "openid"), u.OpenID, loc)
}

// param names a parameter at loc: a JSON Pointer in a body, its name
// elsewhere.
func param(loc, name string) string {
	if loc == apierr.LocBody {
		return "/" + name
	}
	return name
}

// TerminateByCode ends the authorization with an authorization_code.
func (s *Service) TerminateByCode(who store.Caller, code string, req *wire.TerminateRequest) error {
	if err := rules.Terminate(req, who, false); err != nil {
		return err
	}
	return s.terminate(func(tx store.ReadTxn) (*store.Permission, error) {
		p, err := tx.PermissionByCode(who.Account(), req.ServiceID, code)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errPermissionNotExist("authorization_code", code, apierr.LocPath)
		}
		return p, err
	}, "terminated by the merchant: "+req.Reason)
}

// TerminateByUser ends a user's authorization: the direct endpoints by
// openid (whose openid the HTTP layer puts in req from the path) and the
// partner's terminate by openid or sub_openid.
func (s *Service) TerminateByUser(who store.Caller, req *wire.TerminateRequest) error {
	if err := rules.Terminate(req, who, true); err != nil {
		return err
	}
	u := store.UserRef{OpenID: req.OpenID, SubOpenID: req.SubOpenID}
	return s.terminate(func(tx store.ReadTxn) (*store.Permission, error) {
		p, err := tx.PermissionOfUser(who.Account(), req.ServiceID, u)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoUserPermission(who, u, apierr.LocBody)
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
	s.log.Debug("authorization terminated", "account", p.Account().String(), "user", p.User(), "why", why)
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

// SandboxCaller is whom a sandbox action acts for: a direct merchant, or a
// service provider's bound sub-merchant (its first when subMchID is
// empty). NOT_FOUND names what is not registered or not bound; a direct
// merchant named with a sub-merchant is a PARAM_ERROR.
func SandboxCaller(tx store.ReadTxn, mchid, subMchID string) (store.Caller, error) {
	m, err := tx.Merchant(mchid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Caller{}, apierr.Newf(apierr.NotFound, "merchant %s is not registered", mchid)
	case err != nil:
		return store.Caller{}, fmt.Errorf("merchant %s: %w", mchid, err)
	case !m.IsPartner() && subMchID != "":
		return store.Caller{}, apierr.Param(apierr.LocBody, "sub_mchid", fmt.Sprintf("merchant %s is a direct merchant: it has no sub-merchants", mchid),
			"sub_mchid names a sub-merchant of a service provider (kind partner)", subMchID)
	case !m.IsPartner():
		return store.Caller{Merchant: m}, nil
	case subMchID == "" && len(m.SubMerchants) == 0:
		return store.Caller{}, apierr.Newf(apierr.NotFound, "service provider %s has no sub-merchant bound", mchid)
	case subMchID == "":
		return store.Caller{Merchant: m, Sub: &m.SubMerchants[0]}, nil
	}
	sub, ok := m.SubMerchant(subMchID)
	if !ok {
		return store.Caller{}, apierr.Newf(apierr.NotFound, "sub-merchant %s is not bound to service provider %s", subMchID, mchid)
	}
	return store.Caller{Merchant: m, Sub: &sub}, nil
}

// sandboxServiceID refuses a service_id the merchant does not have.
func sandboxServiceID(m *store.Merchant, serviceID string) error {
	if m.HasServiceID(serviceID) {
		return nil
	}
	return apierr.Param(apierr.LocBody, "/service_id", fmt.Sprintf("service_id %s is not a service of merchant %s", serviceID, m.MchID),
		"not one of the merchant's service_ids", serviceID)
}

// UserAuthorization is what a sandbox user authorises: a merchant's
// service, or a service provider's for one of its sub-merchants.
type UserAuthorization struct {
	MchID, SubMchID string
	// User is the user's openid, or their sub_openid when they authorise
	// in the sub-merchant's app (SubAppID, or the pre-authorization's).
	User              string
	ServiceID, AppID  string // the merchant's first when empty
	SubAppID          string
	AuthorizationCode string
}

// Authorize is the user opening the service in the Pay Score mini-program
// (sandbox). With a code it completes that pre-authorization; without one
// it completes the account's latest unfinished pre-authorization of the
// service, or re-opens the user's ended one, or opens one without a code.
// It fires PAYSCORE.USER_OPEN_SERVICE; authorizing again changes nothing.
func (s *Service) Authorize(req UserAuthorization) (wire.Permission, error) {
	tx := s.store.Write()
	defer tx.Abort()
	who, err := SandboxCaller(tx.ReadTxn, req.MchID, req.SubMchID)
	if err != nil {
		return wire.Permission{}, err
	}
	m, a := who.Merchant, who.Account()
	serviceID, appid := req.ServiceID, req.AppID
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
		return wire.Permission{}, apierr.Param(apierr.LocBody, "/appid", fmt.Sprintf("appid %s is not bound to merchant %s", appid, m.MchID),
			"not one of the merchant's appids", appid)
	}
	if req.SubAppID != "" && !who.HasSubAppID(req.SubAppID) {
		return wire.Permission{}, apierr.Param(apierr.LocBody, "/sub_appid", fmt.Sprintf("sub_appid %s is not bound to sub-merchant %s", req.SubAppID, a.SubMchID),
			"not one of the sub-merchant's sub_appids", req.SubAppID)
	}
	if err := s.userRefusesAuthorization(a, req.User, serviceID); err != nil {
		return wire.Permission{}, err
	}
	p, err := s.findToAuthorize(tx.ReadTxn, a, serviceID, req)
	if err != nil {
		return wire.Permission{}, err
	}
	subAppID := req.SubAppID
	switch {
	case p.SubAppID != "" && subAppID != "" && subAppID != p.SubAppID:
		return wire.Permission{}, apierr.Newf(apierr.Conflict, "authorization %s is for sub_appid %s, not %s", p.AuthorizationCode, p.SubAppID, subAppID)
	case p.SubAppID != "":
		subAppID = p.SubAppID
	}
	if p.State == store.PermissionAvailable && p.User() == req.User {
		return wire.PermissionView(p), nil
	}
	now := s.clock.Now()
	u := p.Copy()
	u.AppID, u.SubAppID, u.State, u.SuccessTime, u.UpdatedAt = appid, subAppID, store.PermissionAvailable, now, now
	if subAppID != "" {
		u.SubOpenID = req.User
	} else {
		u.OpenID = req.User
	}
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

func (s *Service) findToAuthorize(tx store.ReadTxn, a store.Account, serviceID string, req UserAuthorization) (*store.Permission, error) {
	if code := req.AuthorizationCode; code != "" {
		p, err := tx.PermissionByCode(a, serviceID, code)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, apierr.Newf(apierr.NotFound, "merchant %s has no pre-authorization %s for service %s", a, code, serviceID)
		case err != nil:
			return nil, err
		case p.User() != "" && p.User() != req.User:
			return nil, apierr.Newf(apierr.Conflict, "authorization %s belongs to user %s", code, p.User())
		}
		return p, nil
	}
	all, err := tx.PermissionsOf(a)
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
	p, err := sandboxUserPermission(tx, a, serviceID, req.User)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	now := s.clock.Now()
	return &store.Permission{ID: s.newID(), MchID: a.MchID, SubMchID: a.SubMchID, ServiceID: serviceID, CreatedAt: now}, nil
}

// sandboxUserPermission finds the record of a sandbox user, who is one id
// whether the user authorised by openid or, in a sub-merchant's app, by
// sub_openid.
func sandboxUserPermission(tx store.ReadTxn, a store.Account, serviceID, user string) (*store.Permission, error) {
	p, err := tx.PermissionOfUser(a, serviceID, store.UserRef{OpenID: user})
	if errors.Is(err, store.ErrNotFound) {
		return tx.PermissionOfUser(a, serviceID, store.UserRef{SubOpenID: user})
	}
	return p, err
}

// Revoke is the user closing the service in WeChat (sandbox); it fires
// PAYSCORE.USER_CLOSE_SERVICE. A service provider's user revokes the
// authorization of one of its sub-merchants (the first when subMchID is
// empty).
func (s *Service) Revoke(mchid, subMchID, user, serviceID string) (wire.Permission, error) {
	tx := s.store.Write()
	defer tx.Abort()
	who, err := SandboxCaller(tx.ReadTxn, mchid, subMchID)
	if err != nil {
		return wire.Permission{}, err
	}
	if serviceID == "" {
		serviceID = who.ServiceIDs[0]
	}
	if err := sandboxServiceID(who.Merchant, serviceID); err != nil {
		return wire.Permission{}, err
	}
	a := who.Account()
	p, err := sandboxUserPermission(tx.ReadTxn, a, serviceID, user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return wire.Permission{}, apierr.Newf(apierr.NotFound, "user %s has no authorization of service %s with merchant %s", user, serviceID, a)
	case err != nil:
		return wire.Permission{}, fmt.Errorf("revoke: authorization of %s: %w", user, err)
	case p.State != store.PermissionAvailable:
		return wire.Permission{}, apierr.Newf(apierr.Conflict, "the authorization of user %s for service %s is %s: only an AVAILABLE one can be revoked", user, serviceID, p.State)
	}
	u, err := s.closePermission(tx, p, s.clock.Now())
	if err != nil {
		return wire.Permission{}, err
	}
	tx.Commit()
	return wire.PermissionView(u), nil
}
