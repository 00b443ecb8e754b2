package mock

import (
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/refund"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The Pay Score v3 handlers (protocol.md §2–4): decode, call the domain,
// return its answer. Field rules and state live in package payscore.

// pathOrderNo reads and checks the {out_order_no} path segment, and ties the
// call to the order in the request log.
func (c *call) pathOrderNo(kind store.Kind) (string, error) {
	no := c.vars["out_order_no"]
	if err := field.Segment("out_order_no", no, field.OutOrderNo); err != nil {
		return "", err
	}
	c.orderKind, c.outOrderNo = kind, no
	return no, nil
}

// decode decodes the body into v, or returns the PARAM_ERROR reply.
func decode[T any](c *call) (*T, *reply) {
	var v T
	if err := field.Decode(c.body, &v); err != nil {
		r := fail(err)
		return nil, &r
	}
	return &v, nil
}

// answer turns a domain result into a reply.
func answer[T any](v T, err error) reply {
	if err != nil {
		return fail(err)
	}
	return ok(v)
}

func (s *Server) userServiceState(c *call) reply {
	q := c.r.URL.Query()
	return answer(s.payscore.UserServiceState(c.merchant, q.Get("service_id"), q.Get("appid"), q.Get("openid")))
}

func (s *Server) preAuthorize(c *call) reply {
	req, bad := decode[wire.PreAuthorizeRequest](c)
	if bad != nil {
		return *bad
	}
	return answer(s.payscore.PreAuthorize(c.merchant, req))
}

func (s *Server) permissionByCode(c *call) reply {
	return answer(s.payscore.PermissionByCode(c.merchant, c.vars["authorization_code"], c.r.URL.Query().Get("service_id")))
}

func (s *Server) terminateByCode(c *call) reply {
	req, bad := decode[wire.TerminateRequest](c)
	if bad != nil {
		return *bad
	}
	if err := s.payscore.TerminateByCode(c.merchant, c.vars["authorization_code"], req); err != nil {
		return fail(err)
	}
	return noContent()
}

func (s *Server) permissionByOpenID(c *call) reply {
	q := c.r.URL.Query()
	return answer(s.payscore.PermissionByOpenID(c.merchant, c.vars["openid"], q.Get("service_id"), q.Get("appid")))
}

func (s *Server) terminateByOpenID(c *call) reply {
	req, bad := decode[wire.TerminateRequest](c)
	if bad != nil {
		return *bad
	}
	if err := s.payscore.TerminateByOpenID(c.merchant, c.vars["openid"], req); err != nil {
		return fail(err)
	}
	return noContent()
}

// terminateUserService is the older users/{openid}/permissions/{service_id}
// endpoint: the service is in the path, the rest in the body.
func (s *Server) terminateUserService(c *call) reply {
	req, bad := decode[wire.TerminateRequest](c)
	if bad != nil {
		return *bad
	}
	req.ServiceID = c.vars["service_id"]
	if err := s.payscore.TerminateByOpenID(c.merchant, c.vars["openid"], req); err != nil {
		return fail(err)
	}
	return noContent()
}

func (s *Server) createServiceOrder(c *call) reply {
	req, bad := decode[wire.CreateOrderRequest](c)
	if bad != nil {
		return *bad
	}
	c.orderKind, c.outOrderNo = store.KindServiceOrder, req.OutOrderNo
	return answer(s.payscore.CreateOrder(c.merchant, req))
}

func (s *Server) queryServiceOrder(c *call) reply {
	q := c.r.URL.Query()
	c.orderKind, c.outOrderNo = store.KindServiceOrder, q.Get("out_order_no")
	return answer(s.payscore.QueryOrder(c.merchant, wire.OrderQuery{
		OutOrderNo: q.Get("out_order_no"), QueryID: q.Get("query_id"), ServiceID: q.Get("service_id"), AppID: q.Get("appid"),
	}))
}

// orderCall is the shape of the calls on one service order: path, body, domain.
func orderCall[T, R any](c *call, do func(m *store.Merchant, outOrderNo string, req *T) (R, error)) reply {
	return kindCall(c, store.KindServiceOrder, do)
}

// kindCall is orderCall for either order API.
func kindCall[T, R any](c *call, kind store.Kind, do func(m *store.Merchant, outOrderNo string, req *T) (R, error)) reply {
	no, err := c.pathOrderNo(kind)
	if err != nil {
		return fail(err)
	}
	req, bad := decode[T](c)
	if bad != nil {
		return *bad
	}
	return answer(do(c.merchant, no, req))
}

func (s *Server) cancelServiceOrder(c *call) reply { return orderCall(c, s.payscore.CancelOrder) }

func (s *Server) modifyServiceOrder(c *call) reply { return orderCall(c, s.payscore.ModifyOrder) }

func (s *Server) completeServiceOrder(c *call) reply { return orderCall(c, s.payscore.CompleteOrder) }

func (s *Server) payServiceOrder(c *call) reply { return orderCall(c, s.payscore.PayOrder) }

func (s *Server) syncServiceOrder(c *call) reply { return orderCall(c, s.payscore.SyncOrder) }

func (s *Server) directCompleteServiceOrder(c *call) reply {
	req, bad := decode[wire.DirectCompleteRequest](c)
	if bad != nil {
		return *bad
	}
	c.orderKind, c.outOrderNo = store.KindServiceOrder, req.OutOrderNo
	return answer(s.payscore.DirectCompleteOrder(c.merchant, req))
}

// The legacy payafter-orders API (protocol.md §5).

func (s *Server) createPayAfter(c *call) reply {
	req, bad := decode[wire.CreatePayAfterRequest](c)
	if bad != nil {
		return *bad
	}
	c.orderKind, c.outOrderNo = store.KindPayAfter, req.OutOrderNo
	return answer(s.payscore.CreatePayAfter(c.merchant, req, c.r.Header.Get(protocol.HeaderSerial)))
}

func (s *Server) queryPayAfter(c *call) reply {
	q := c.r.URL.Query()
	c.orderKind, c.outOrderNo = store.KindPayAfter, q.Get("out_order_no")
	return answer(s.payscore.QueryPayAfter(c.merchant, wire.OrderQuery{
		OutOrderNo: q.Get("out_order_no"), QueryID: q.Get("query_id"), ServiceID: q.Get("service_id"), AppID: q.Get("appid"),
	}))
}

func (s *Server) cancelPayAfter(c *call) reply {
	return kindCall(c, store.KindPayAfter, s.payscore.CancelPayAfter)
}

func (s *Server) completePayAfter(c *call) reply {
	return kindCall(c, store.KindPayAfter, s.payscore.CompletePayAfter)
}

func (s *Server) syncPayAfter(c *call) reply {
	return kindCall(c, store.KindPayAfter, s.payscore.SyncPayAfter)
}

// Refunds of Pay Score charges (protocol.md §7).

func (s *Server) createRefund(c *call) reply {
	req, bad := decode[refund.Request](c)
	if bad != nil {
		return *bad
	}
	return answer(s.refunds.Create(c.merchant, req))
}

func (s *Server) queryRefund(c *call) reply {
	return answer(s.refunds.Query(c.merchant, c.vars["out_refund_no"]))
}
