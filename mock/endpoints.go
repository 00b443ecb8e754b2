package mock

import (
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/payscore"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/refund"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// An endpoint is one v3 API call, declared once. The router (paths and
// aliases), the scenario engine's vocabulary, the request log's links to
// order timelines and docs/endpoints.md all come from the table below, so
// adding an endpoint is one declaration plus its domain function.
type endpoint struct {
	// Name is what scenarios match on (match.endpoint): "api.call".
	Name string
	// Method and Path are WeChat Pay's, with {variables} in the path.
	Method, Path string
	// Order says which kind of order a call is about, so that the call
	// shows on that order's timeline.
	Order orderLink
	// Creates marks the calls that create an order: a scenario's
	// risk_rejected refuses them.
	Creates bool
	// Callers says who may make the call: direct merchants (the zero
	// value), service providers for a sub-merchant, or both.
	Callers callers
	// Also are the other paths the call is served on: older shapes of it
	// that SDKs still call.
	Also []string
	// Doc is one line for docs/endpoints.md.
	Doc string
	// handling is the typed part: the request and response wire types and
	// the function that serves a decoded call.
	handling
}

// orderLink ties a call to the order it is about.
type orderLink int

const (
	noOrder      orderLink = iota
	serviceOrder           // out_order_no of a service order: path, query or body
	payAfter               // out_order_no of a legacy payafter order
	refundOrder            // the order whose charge the refund (out_refund_no, or the body's transaction) is of
	parkingTx              // out_trade_no of a Pay Score parking deduction: path or body
	parkingEntry           // out_parking_no of a parking entry
)

// callers says who may make a call and whether it acts for a
// sub-merchant, named by sub_mchid in its body (POST) or query (GET)
// (protocol-partner.md §1.2, architecture.md "Service providers").
type callers int

const (
	// directMerchants: the direct merchant's Pay Score API. A service
	// provider acts for its sub-merchants through the partner API instead.
	directMerchants callers = iota
	// partners: the partner API (/v3/payscore/partner/...): a service
	// provider, for a sub-merchant bound to it.
	partners
	// partnerItself: the partner API's calls about the service provider's
	// own records, which name no sub-merchant (the binding application's
	// query).
	partnerItself
	// bothForSub: both kinds (refunds): a service provider names a bound
	// sub-merchant, a direct merchant none.
	bothForSub
	// bothMaybeSub: both kinds (user-service-state): a service provider
	// may name a bound sub-merchant, to narrow the answer to it.
	bothMaybeSub
	// bothNoSub: both kinds, about the merchant itself (certificates).
	bothNoSub
	// bothSubInRules: both kinds on the same paths (Pay Score parking): a
	// service provider names a bound sub-merchant, a direct merchant none,
	// and the API's own rules check sub_mchid in turn with the request's
	// other fields, with the same answer to an unbound one
	// (field.Check.NotBound).
	bothSubInRules
)

// kind is the store's order kind an order link names, or "".
func (l orderLink) kind() store.Kind {
	switch l {
	case serviceOrder:
		return store.KindServiceOrder
	case payAfter:
		return store.KindPayAfter
	case parkingTx:
		return store.KindParking
	case parkingEntry:
		return store.KindParkingEntry
	}
	return ""
}

// param is the request parameter that names the order: the merchant's
// number of it, wherever the endpoint takes it.
func (l orderLink) param() string {
	switch l {
	case parkingTx:
		return "out_trade_no"
	case parkingEntry:
		return "out_parking_no"
	}
	return "out_order_no"
}

// handling is what a call decodes and how it is served.
type handling struct {
	// request is the body's wire type; nil when the call has no body.
	request reflect.Type
	// response is the answer's wire type; nil for 204 No Content.
	response reflect.Type
	// status is the success status.
	status int
	// serve runs a call whose body (when it has one) decoded into req.
	serve func(s *Server, c *call) reply
}

// none is the answer of a call that answers 204 No Content.
type none struct{}

// withBody declares a call that takes a JSON body of type Req: the body is
// decoded once, before scenarios match, and the handler gets it typed.
func withBody[Req, Resp any](do func(s *Server, c *call, req *Req) (Resp, error)) handling {
	h := answering(func(s *Server, c *call) (Resp, error) { return do(s, c, c.req.(*Req)) })
	h.request = reflect.TypeFor[Req]()
	return h
}

// noBody declares a call whose input is its path and query.
func noBody[Resp any](do func(s *Server, c *call) (Resp, error)) handling {
	return answering(do)
}

func answering[Resp any](do func(s *Server, c *call) (Resp, error)) handling {
	h := handling{response: reflect.TypeFor[Resp](), status: http.StatusOK}
	if h.response == reflect.TypeFor[none]() {
		h.response, h.status = nil, http.StatusNoContent
	}
	h.serve = func(s *Server, c *call) reply {
		v, err := do(s, c)
		if err != nil {
			return fail(err)
		}
		if h.response == nil {
			return noContent()
		}
		return reply{status: h.status, body: v}
	}
	return h
}

// nothing adapts a domain call that answers only an error to a 204.
func nothing(err error) (none, error) { return none{}, err }

// orderQuery reads the query of the two order queries.
func orderQuery(c *call) wire.OrderQuery {
	return wire.OrderQuery{
		OutOrderNo: c.query("out_order_no"), QueryID: c.query("query_id"),
		ServiceID: c.query("service_id"), AppID: c.query("appid"),
	}
}

// endpoints is the v3 API: each API's table, in the order of its reference.
var endpoints = slices.Concat(directEndpoints, partnerEndpoints, parkingEndpoints)

// directEndpoints are the direct merchant's calls, in the order of protocol.md.
var directEndpoints = []endpoint{
	{Name: "certificates", Method: "GET", Path: "/v3/certificates", Callers: bothNoSub,
		Doc:      "platform certificates, encrypted with the APIv3 key",
		handling: noBody((*Server).getCertificates)},

	{Name: "user_service_state", Method: "GET", Path: "/v3/payscore/user-service-state", Callers: bothMaybeSub,
		Doc: "whether a user has opened the service",
		handling: noBody(func(s *Server, c *call) (wire.UserServiceState, error) {
			return s.payscore.UserServiceState(c.caller(), c.query("service_id"), c.query("appid"), c.query("openid"))
		})},
	{Name: "permissions.create", Method: "POST", Path: "/v3/payscore/permissions",
		Doc:      "pre-authorize: an authorization_code for the user to open the service with",
		handling: withBody(preAuthorize)},
	{Name: "permissions.query_by_code", Method: "GET", Path: "/v3/payscore/permissions/authorization-code/{authorization_code}",
		Doc:      "an authorization by its authorization_code",
		handling: noBody(permissionByCode)},
	{Name: "permissions.terminate_by_code", Method: "POST", Path: "/v3/payscore/permissions/authorization-code/{authorization_code}/terminate",
		Doc:      "end an authorization by its authorization_code",
		handling: withBody(terminateByCode)},
	{Name: "permissions.query_by_openid", Method: "GET", Path: "/v3/payscore/permissions/openid/{openid}",
		Doc:      "an authorization by the user's openid",
		handling: noBody(permissionByUser)},
	{Name: "permissions.terminate_by_openid", Method: "POST", Path: "/v3/payscore/permissions/openid/{openid}/terminate",
		Doc:      "end an authorization by the user's openid",
		handling: withBody(terminateByUser)},
	{Name: "permissions.terminate_user_service", Method: "POST", Path: "/v3/payscore/users/{openid}/permissions/{service_id}/terminate",
		Doc: "end an authorization, the older shape: the service is in the path",
		handling: withBody(func(s *Server, c *call, req *wire.TerminateRequest) (none, error) {
			req.ServiceID = c.vars["service_id"]
			return terminateByUser(s, c, req)
		})},

	{Name: "serviceorder.create", Method: "POST", Path: "/v3/payscore/serviceorder", Order: serviceOrder, Creates: true,
		Doc:      "create a service order",
		handling: withBody(createOrder)},
	{Name: "serviceorder.query", Method: "GET", Path: "/v3/payscore/serviceorder", Order: serviceOrder,
		Doc:      "query a service order by out_order_no or query_id",
		handling: noBody(queryOrder)},
	{Name: "serviceorder.direct_complete", Method: "POST", Path: "/v3/payscore/serviceorder/direct-complete", Order: serviceOrder, Creates: true,
		Doc:      "create a service order that is already complete",
		handling: withBody(directCompleteOrder)},
	{Name: "serviceorder.cancel", Method: "POST", Path: "/v3/payscore/serviceorder/{out_order_no}/cancel", Order: serviceOrder,
		Doc:      "cancel a service order",
		handling: onOrder((*payscore.Service).CancelOrder)},
	{Name: "serviceorder.modify", Method: "POST", Path: "/v3/payscore/serviceorder/{out_order_no}/modify", Order: serviceOrder,
		Doc:      "change a completed order's amount before it is paid",
		handling: onOrder((*payscore.Service).ModifyOrder)},
	{Name: "serviceorder.complete", Method: "POST", Path: "/v3/payscore/serviceorder/{out_order_no}/complete", Order: serviceOrder,
		Doc:      "complete a service order: the deduction follows",
		handling: onOrder((*payscore.Service).CompleteOrder)},
	{Name: "serviceorder.pay", Method: "POST", Path: "/v3/payscore/serviceorder/{out_order_no}/pay", Order: serviceOrder,
		Doc:      "ask for the deduction again",
		handling: onOrder((*payscore.Service).PayOrder)},
	{Name: "serviceorder.sync", Method: "POST", Path: "/v3/payscore/serviceorder/{out_order_no}/sync", Order: serviceOrder,
		Doc:      "tell WeChat Pay the user paid the merchant another way",
		handling: onOrder((*payscore.Service).SyncOrder)},

	{Name: "payafter.create", Method: "POST", Path: "/v3/payscore/payafter-orders", Order: payAfter, Creates: true,
		Doc: "create a legacy 先享后付 order",
		handling: withBody(func(s *Server, c *call, req *wire.CreatePayAfterRequest) (wire.CreatePayAfterResponse, error) {
			return s.payscore.CreatePayAfter(c.caller(), req, c.r.Header.Get(protocol.HeaderSerial))
		})},
	{Name: "payafter.query", Method: "GET", Path: "/v3/payscore/payafter-orders", Order: payAfter,
		Doc: "query a legacy order",
		handling: noBody(func(s *Server, c *call) (wire.PayAfterOrder, error) {
			return s.payscore.QueryPayAfter(c.caller(), orderQuery(c))
		})},
	{Name: "payafter.cancel", Method: "POST", Path: "/v3/payscore/payafter-orders/{out_order_no}/cancel", Order: payAfter,
		Doc:      "cancel a legacy order",
		handling: onOrder((*payscore.Service).CancelPayAfter)},
	{Name: "payafter.complete", Method: "POST", Path: "/v3/payscore/payafter-orders/{out_order_no}/complete", Order: payAfter,
		Doc:      "complete a legacy order with its finish_ticket",
		handling: onOrder((*payscore.Service).CompletePayAfter)},
	{Name: "payafter.sync", Method: "POST", Path: "/v3/payscore/payafter-orders/{out_order_no}/sync", Order: payAfter,
		Doc:      "tell WeChat Pay a legacy order was paid another way",
		handling: onOrder((*payscore.Service).SyncPayAfter)},

	{Name: "refund.create", Method: "POST", Path: "/v3/refund/domestic/refunds", Order: refundOrder, Callers: bothForSub,
		Doc: "refund a Pay Score charge (a service provider's for its sub-merchant: sub_mchid)",
		handling: withBody(func(s *Server, c *call, req *refund.Request) (refund.Refund, error) {
			return s.refunds.Create(c.caller(), req)
		})},
	{Name: "refund.query", Method: "GET", Path: "/v3/refund/domestic/refunds/{out_refund_no}", Order: refundOrder, Callers: bothForSub,
		Doc: "query a refund (a service provider's: ?sub_mchid=)",
		handling: noBody(func(s *Server, c *call) (refund.Refund, error) {
			return s.refunds.Query(c.caller(), c.vars["out_refund_no"])
		})},
}

// The handlers the direct and partner APIs share: a partner's call differs
// only in its caller (c.caller() acts for the sub-merchant) and, on calls
// on an order, in answering 204 (emptied).

func createOrder(s *Server, c *call, req *wire.CreateOrderRequest) (wire.Order, error) {
	return s.payscore.CreateOrder(c.caller(), req)
}

func queryOrder(s *Server, c *call) (wire.Order, error) {
	return s.payscore.QueryOrder(c.caller(), orderQuery(c))
}

func directCompleteOrder(s *Server, c *call, req *wire.DirectCompleteRequest) (wire.Order, error) {
	return s.payscore.DirectCompleteOrder(c.caller(), req)
}

func preAuthorize(s *Server, c *call, req *wire.PreAuthorizeRequest) (wire.PreAuthorizeResponse, error) {
	return s.payscore.PreAuthorize(c.caller(), req)
}

func permissionByCode(s *Server, c *call) (wire.Permission, error) {
	return s.payscore.PermissionByCode(c.caller(), c.vars["authorization_code"], c.query("service_id"))
}

func terminateByCode(s *Server, c *call, req *wire.TerminateRequest) (none, error) {
	return nothing(s.payscore.TerminateByCode(c.caller(), c.vars["authorization_code"], req))
}

// permissionByUser finds a user's authorization: the user is named by
// openid in the path (the direct API, and the partner API's older shape)
// or in the query (the partner's search, which may name a sub_openid).
func permissionByUser(s *Server, c *call) (wire.Permission, error) {
	return s.payscore.PermissionByUser(c.caller(), wire.UserQuery{
		ServiceID: c.query("service_id"), AppID: c.query("appid"), SubAppID: c.query("sub_appid"),
		User: store.UserRef{OpenID: c.param("openid"), SubOpenID: c.query("sub_openid")},
	})
}

// terminateByUser ends a user's authorization; the user is named in the
// path or in the body, as for permissionByUser.
func terminateByUser(s *Server, c *call, req *wire.TerminateRequest) (none, error) {
	req.OpenID = c.param("openid")
	return nothing(s.payscore.TerminateByUser(c.caller(), req))
}

// onOrder declares a call on one order, named by the path's
// {out_order_no}: the shape of cancel, modify, complete, pay and sync.
func onOrder[Req, Resp any](do func(p *payscore.Service, who store.Caller, outOrderNo string, req *Req) (Resp, error)) handling {
	return withBody(func(s *Server, c *call, req *Req) (Resp, error) {
		return do(s.payscore, c.caller(), c.vars["out_order_no"], req)
	})
}

// emptied is h answering 204 No Content where h answers with a body: the
// partner API's answer to the calls on an order that the direct API
// answers with the order (protocol-partner.md §4.3–§4.9).
func emptied(h handling) handling {
	serve := h.serve
	h.response, h.status = nil, http.StatusNoContent
	h.serve = func(s *Server, c *call) reply {
		if rep := serve(s, c); rep.err != nil {
			return rep
		}
		return noContent()
	}
	return h
}

// aliases are the other paths an endpoint answers on: its older shapes
// (Also), and, as WeChat Pay serves its Pay Score paths without /v3 too
// (architecture.md, Path aliases), each Pay Score path without /v3.
func (e endpoint) aliases() []string {
	out := slices.Clone(e.Also)
	for _, p := range append([]string{e.Path}, e.Also...) {
		if rest, ok := strings.CutPrefix(p, "/v3/payscore/"); ok {
			out = append(out, "/payscore/"+rest)
		}
	}
	return out
}

// pathVars are the {variables} of the endpoint's path.
func (e endpoint) pathVars() []string {
	var vars []string
	for _, seg := range strings.Split(e.Path, "/") {
		if v, ok := strings.CutPrefix(seg, "{"); ok {
			vars = append(vars, strings.TrimSuffix(v, "}"))
		}
	}
	return vars
}

// scenarioVocabulary is what scenarios can name: the endpoint table's
// calls and the callbacks the mock sends.
func scenarioVocabulary() scenario.Vocabulary {
	var v scenario.Vocabulary
	for _, t := range event.All {
		v.EventTypes = append(v.EventTypes, string(t))
	}
	for _, e := range endpoints {
		v.Endpoints = append(v.Endpoints, e.Name)
		if e.Creates {
			v.Creates = append(v.Creates, e.Name)
		}
	}
	return v
}

// Endpoint describes one v3 API call the mock serves.
type Endpoint struct {
	// Name is what a scenario's match.endpoint names.
	Name string `json:"name"`
	// Method and Path are WeChat Pay's; Aliases are the other paths that
	// serve the same call (the Pay Score paths without /v3).
	Method  string   `json:"method"`
	Path    string   `json:"path"`
	Aliases []string `json:"aliases,omitempty"`
	// Doc says what the call does, in a line.
	Doc string `json:"doc"`
}

// Endpoints lists the v3 API calls the mock serves, in the order of
// WeChat Pay's documentation.
func Endpoints() []Endpoint {
	out := make([]Endpoint, len(endpoints))
	for i, e := range endpoints {
		out[i] = Endpoint{Name: e.Name, Method: e.Method, Path: e.Path, Aliases: e.aliases(), Doc: e.Doc}
	}
	return out
}
