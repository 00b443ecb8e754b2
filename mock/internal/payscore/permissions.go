package payscore

import (
	"errors"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The authorization ("permissions") API of 免确认模式 (protocol.md §2, §3).

// PreAuthorizeRequest is the body of POST /v3/payscore/permissions.
type PreAuthorizeRequest struct {
	ServiceID         string `json:"service_id"`
	AppID             string `json:"appid"`
	AuthorizationCode string `json:"authorization_code"`
	NotifyURL         string `json:"notify_url"`
}

// PreAuthorizeResponse is its answer.
type PreAuthorizeResponse struct {
	ApplyPermissionsToken string `json:"apply_permissions_token"`
}

// TerminateRequest is the body of the three terminate endpoints; each
// needs a different subset.
type TerminateRequest struct {
	ServiceID string `json:"service_id"`
	AppID     string `json:"appid"`
	Reason    string `json:"reason"`
}

// Permission is an authorization record as the query endpoints return it.
type Permission struct {
	ServiceID                string `json:"service_id"`
	AppID                    string `json:"appid"`
	MchID                    string `json:"mchid"`
	OpenID                   string `json:"openid,omitempty"`
	AuthorizationCode        string `json:"authorization_code,omitempty"`
	AuthorizationState       string `json:"authorization_state"`
	NotifyURL                string `json:"notify_url,omitempty"`
	CancelAuthorizationTime  string `json:"cancel_authorization_time,omitempty"`
	AuthorizationSuccessTime string `json:"authorization_success_time,omitempty"`
}

// PermissionEvent is the resource of PAYSCORE.USER_OPEN_SERVICE and
// PAYSCORE.USER_CLOSE_SERVICE.
type PermissionEvent struct {
	AppID             string `json:"appid"`
	MchID             string `json:"mchid"`
	ServiceID         string `json:"service_id"`
	OpenID            string `json:"openid"`
	UserServiceStatus string `json:"user_service_status"`
	OpenOrCloseTime   string `json:"openorclose_time"`
	AuthorizationCode string `json:"authorization_code,omitempty"`
}

// UserServiceState is the answer of GET /v3/payscore/user-service-state.
type UserServiceState struct {
	AppID           string `json:"appid"`
	ServiceID       string `json:"service_id"`
	OpenID          string `json:"openid,omitempty"`
	UseServiceState string `json:"use_service_state"`
}

// PermissionView renders a record as the query endpoints return it.
func PermissionView(p *store.Permission) Permission {
	v := Permission{
		ServiceID: p.ServiceID, AppID: p.AppID, MchID: p.MchID, OpenID: p.OpenID,
		AuthorizationCode: p.AuthorizationCode, AuthorizationState: p.State, NotifyURL: p.NotifyURL,
	}
	if !p.CancelTime.IsZero() {
		v.CancelAuthorizationTime = protocol.FormatRFC3339Milli(p.CancelTime)
	}
	if !p.SuccessTime.IsZero() {
		v.AuthorizationSuccessTime = protocol.FormatRFC3339Milli(p.SuccessTime)
	}
	return v
}

func errPermissionNotExist(field, value, loc string) error {
	return apierr.New(apierr.OrderNotExist, "请求操作的授权记录不存在").WithDetail(apierr.Detail{
		Field: field, Value: value, Location: loc, Issue: "the user never had an authorization record of this service with this merchant",
	})
}

// UserServiceState tells whether a user may use the service.
func (s *Service) UserServiceState(m *store.Merchant, serviceID, appid, openid string) (UserServiceState, error) {
	c := newCheck(apierr.LocQuery)
	c.reqStr("service_id", serviceID, 32)
	c.reqStr("appid", appid, 32)
	c.reqStr("openid", openid, 128)
	checkMerchant(m, appid, serviceID, c)
	if err := c.result(); err != nil {
		return UserServiceState{}, err
	}
	st := UserServiceState{AppID: appid, ServiceID: serviceID, OpenID: openid, UseServiceState: "UNAVAILABLE"}
	p, err := s.store.Read().PermissionByOpenID(m.MchID, serviceID, openid)
	if err == nil && p.State == store.PermissionAvailable {
		st.UseServiceState = "AVAILABLE"
	}
	return st, nil
}

// PreAuthorize records the merchant's pre-authorization and returns the
// token for the mini-program. An identical retry returns the same token.
func (s *Service) PreAuthorize(m *store.Merchant, req *PreAuthorizeRequest) (PreAuthorizeResponse, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/authorization_code", req.AuthorizationCode, 32)
	c.pattern("/authorization_code", req.AuthorizationCode, reAuthCode, "1 to 32 of [0-9A-Za-z_-*]")
	c.notifyURL("/notify_url", req.NotifyURL)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
		return PreAuthorizeResponse{}, err
	}
	dg := digest(req)
	tx := s.store.Write()
	defer tx.Abort()
	if p, err := tx.PermissionByCode(m.MchID, req.ServiceID, req.AuthorizationCode); err == nil {
		if p.PreAuthDigest == dg && p.State == store.PermissionUnbound {
			return PreAuthorizeResponse{ApplyPermissionsToken: p.ApplyToken}, nil
		}
		return PreAuthorizeResponse{}, apierr.New(apierr.InvalidRequest, "授权协议号已被使用").WithDetail(apierr.Detail{
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
		return PreAuthorizeResponse{}, err
	}
	tx.Commit()
	return PreAuthorizeResponse{ApplyPermissionsToken: p.ApplyToken}, nil
}

// PermissionByCode queries a record by authorization_code.
func (s *Service) PermissionByCode(m *store.Merchant, code, serviceID string) (Permission, error) {
	c := newCheck(apierr.LocQuery)
	c.reqStr("service_id", serviceID, 32)
	checkMerchant(m, "", serviceID, c)
	if err := c.result(); err != nil {
		return Permission{}, err
	}
	p, err := s.store.Read().PermissionByCode(m.MchID, serviceID, code)
	if errors.Is(err, store.ErrNotFound) {
		return Permission{}, errPermissionNotExist("authorization_code", code, apierr.LocPath)
	}
	if err != nil {
		return Permission{}, err
	}
	return PermissionView(p), nil
}

// PermissionByOpenID queries a user's record; it carries no notify_url.
func (s *Service) PermissionByOpenID(m *store.Merchant, openid, serviceID, appid string) (Permission, error) {
	c := newCheck(apierr.LocQuery)
	c.reqStr("service_id", serviceID, 32)
	c.reqStr("appid", appid, 32)
	checkMerchant(m, appid, serviceID, c)
	if err := c.result(); err != nil {
		return Permission{}, err
	}
	p, err := s.store.Read().PermissionByOpenID(m.MchID, serviceID, openid)
	if errors.Is(err, store.ErrNotFound) {
		return Permission{}, errPermissionNotExist("openid", openid, apierr.LocPath)
	}
	if err != nil {
		return Permission{}, err
	}
	v := PermissionView(p)
	v.NotifyURL = ""
	return v, nil
}

// TerminateByCode ends the authorization with an authorization_code.
func (s *Service) TerminateByCode(m *store.Merchant, code string, req *TerminateRequest) error {
	c := newCheck(apierr.LocBody)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.reqStr("/reason", req.Reason, 50)
	checkMerchant(m, "", req.ServiceID, c)
	if err := c.result(); err != nil {
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
func (s *Service) TerminateByOpenID(m *store.Merchant, openid string, req *TerminateRequest) error {
	c := newCheck(apierr.LocBody)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/reason", req.Reason, 50)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
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
	return u, s.notifyPermission(tx, u, now, "PAYSCORE.USER_CLOSE_SERVICE", "USER_CLOSE_SERVICE", "解除授权")
}

// notifyPermission enqueues an authorization callback to the
// pre-authorization's notify_url, else the merchant's configured one.
func (s *Service) notifyPermission(tx store.WriteTxn, p *store.Permission, now time.Time, eventType, status, summary string) error {
	m, err := tx.Merchant(p.MchID)
	if err != nil {
		return err
	}
	url := p.NotifyURL
	if url == "" {
		url = m.NotifyURL
	}
	_, err = s.notifier.Enqueue(tx, notify.Event{
		MchID: p.MchID, APIv3Key: m.APIv3Key, EventType: eventType, Summary: summary, NotifyURL: url,
		OriginalType: "payscore", OpenID: p.OpenID, Schedule: notify.PayScoreSchedule,
		Resource: PermissionEvent{
			AppID: p.AppID, MchID: p.MchID, ServiceID: p.ServiceID, OpenID: p.OpenID,
			UserServiceStatus: status, OpenOrCloseTime: protocol.Format14(now), AuthorizationCode: p.AuthorizationCode,
		},
	})
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
func (s *Service) Authorize(mchid, openid, serviceID, appid, code string) (Permission, error) {
	tx := s.store.Write()
	defer tx.Abort()
	m, err := sandboxMerchant(tx.ReadTxn, mchid)
	if err != nil {
		return Permission{}, err
	}
	if serviceID == "" {
		serviceID = m.ServiceIDs[0]
	}
	if appid == "" {
		appid = m.AppIDs[0]
	}
	if err := sandboxServiceID(m, serviceID); err != nil {
		return Permission{}, err
	}
	if !m.HasAppID(appid) {
		return Permission{}, apierr.Param(apierr.LocBody, "/appid", fmt.Sprintf("appid %s is not bound to merchant %s", appid, mchid),
			"not one of the merchant's appids", appid)
	}
	if err := s.userRefusesAuthorization(mchid, openid, serviceID); err != nil {
		return Permission{}, err
	}
	p, err := s.findToAuthorize(tx.ReadTxn, m, serviceID, openid, code)
	if err != nil {
		return Permission{}, err
	}
	if p.State == store.PermissionAvailable && p.OpenID == openid {
		return PermissionView(p), nil
	}
	now := s.clock.Now()
	u := p.Copy()
	u.OpenID, u.AppID, u.State, u.SuccessTime, u.UpdatedAt = openid, appid, store.PermissionAvailable, now, now
	if err := tx.PutPermission(u); err != nil {
		return Permission{}, err
	}
	if err := s.notifyPermission(tx, u, now, "PAYSCORE.USER_OPEN_SERVICE", "USER_OPEN_SERVICE", "授权成功"); err != nil {
		return Permission{}, err
	}
	tx.Commit()
	return PermissionView(u), nil
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
func (s *Service) Revoke(mchid, openid, serviceID string) (Permission, error) {
	tx := s.store.Write()
	defer tx.Abort()
	m, err := sandboxMerchant(tx.ReadTxn, mchid)
	if err != nil {
		return Permission{}, err
	}
	if serviceID == "" {
		serviceID = m.ServiceIDs[0]
	}
	if err := sandboxServiceID(m, serviceID); err != nil {
		return Permission{}, err
	}
	p, err := tx.PermissionByOpenID(mchid, serviceID, openid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Permission{}, apierr.Newf(apierr.NotFound, "user %s has no authorization of service %s with merchant %s", openid, serviceID, mchid)
	case err != nil:
		return Permission{}, fmt.Errorf("revoke: authorization of %s: %w", openid, err)
	case p.State != store.PermissionAvailable:
		return Permission{}, apierr.Newf(apierr.Conflict, "the authorization of user %s for service %s is %s: only an AVAILABLE one can be revoked", openid, serviceID, p.State)
	}
	u, err := s.closePermission(tx, p, s.clock.Now())
	if err != nil {
		return Permission{}, err
	}
	tx.Commit()
	return PermissionView(u), nil
}
