package payscore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The legacy 先享后付 API, /v3/payscore/payafter-orders (protocol.md §5):
// the 2019 predecessor of service orders, with fees, risk_amount and the
// finish_ticket that completion needs.

const (
	// PayAfterExpiry is how long a CREATED payafter order lives unchanged.
	PayAfterExpiry = time.Hour
	// ticketPeriod is how often the finish_ticket a query returns changes;
	// every ticket issued before stays valid.
	ticketPeriod = 10 * time.Minute
	// FinishTypeCancel and FinishTypeFinish are finish_type's values.
	FinishTypeCancel = 1
	FinishTypeFinish = 2
	// PayTypeMchChannel is pay_type after a sync.
	PayTypeMchChannel    = "MchChannelPayType"
	maxPayAfterDiscounts = 5
)

// Fee is a fees[] item.
type Fee struct {
	FeeName   string `json:"fee_name,omitempty"`
	FeeCount  *int64 `json:"fee_count,omitempty"`
	FeeAmount *int64 `json:"fee_amount,omitempty"`
	FeeDesc   string `json:"fee_desc,omitempty"`
}

// PayAfterDiscount is a discounts[] item.
type PayAfterDiscount struct {
	DiscountName   string `json:"discount_name,omitempty"`
	DiscountDesc   string `json:"discount_desc,omitempty"`
	DiscountAmount *int64 `json:"discount_amount,omitempty"`
}

// CreatePayAfterRequest is the body of POST /v3/payscore/payafter-orders.
type CreatePayAfterRequest struct {
	AppID                string             `json:"appid"`
	OutOrderNo           string             `json:"out_order_no"`
	ServiceID            string             `json:"service_id"`
	ServiceStartTime     string             `json:"service_start_time"`
	ServiceEndTime       string             `json:"service_end_time"`
	ServiceStartLocation string             `json:"service_start_location"`
	ServiceEndLocation   string             `json:"service_end_location"`
	ServiceIntroduction  string             `json:"service_introduction"`
	Fees                 []Fee              `json:"fees"`
	Discounts            []PayAfterDiscount `json:"discounts"`
	RiskAmount           *int64             `json:"risk_amount"`
	Attach               string             `json:"attach"`
	NeedUserConfirm      *bool              `json:"need_user_confirm"`
	OpenID               string             `json:"openid"`
	// Sensitive user data, RSA-OAEP-encrypted with the key the request's
	// Wechatpay-Serial names.
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	UserID  string `json:"userid"`
	Address string `json:"address"`
}

// CreatePayAfterResponse is what create answers.
type CreatePayAfterResponse struct {
	AppID                   string `json:"appid"`
	MchID                   string `json:"mchid"`
	OutOrderNo              string `json:"out_order_no"`
	ServiceID               string `json:"service_id"`
	OrderID                 string `json:"order_id"`
	MiniprogramBusinessType string `json:"miniprogram_businesstype"`
	MiniprogramAppID        string `json:"miniprogram_appid"`
	MiniprogramPath         string `json:"miniprogram_path"`
	MiniprogramUsername     string `json:"miniprogram_username"`
	Package                 string `json:"package"`
}

// The Pay Score mini-program the legacy create answer points the front end
// to (test values).
const (
	payScoreMiniprogramAppID    = "wxd8f3793ea3b935b8"
	payScoreMiniprogramPath     = "pages/use/use"
	payScoreMiniprogramUsername = "gh_1234567890ab"
)

// CompletePayAfterRequest is the body of .../payafter-orders/{out_order_no}/complete.
type CompletePayAfterRequest struct {
	AppID                  string             `json:"appid"`
	ServiceID              string             `json:"service_id"`
	FinishType             *int               `json:"finish_type"`
	CancelReason           string             `json:"cancel_reason"`
	RealServiceStartTime   string             `json:"real_service_start_time"`
	RealServiceEndTime     string             `json:"real_service_end_time"`
	RealServiceEndLocation string             `json:"real_service_end_location"`
	Fees                   []Fee              `json:"fees"`
	Discounts              []PayAfterDiscount `json:"discounts"`
	TotalAmount            *int64             `json:"total_amount"`
	FinishTicket           string             `json:"finish_ticket"`
	ProfitSharing          *bool              `json:"profit_sharing"`
}

// PayAfterOrder is a payafter order as the query returns it.
type PayAfterOrder struct {
	AppID                    string             `json:"appid"`
	MchID                    string             `json:"mchid"`
	OutOrderNo               string             `json:"out_order_no"`
	OutRequestNo             string             `json:"out_request_no,omitempty"` // callbacks only
	ServiceID                string             `json:"service_id"`
	OpenID                   string             `json:"openid,omitempty"`
	State                    string             `json:"state"`
	FinishType               int                `json:"finish_type,omitempty"`
	ServiceStartTime         string             `json:"service_start_time,omitempty"`
	ServiceEndTime           string             `json:"service_end_time,omitempty"`
	RealServiceStartTime     string             `json:"real_service_start_time,omitempty"`
	RealServiceEndTime       string             `json:"real_service_end_time,omitempty"`
	PaySuccTime              string             `json:"pay_succ_time,omitempty"`
	ServiceStartLocation     string             `json:"service_start_location,omitempty"`
	ServiceEndLocation       string             `json:"service_end_location,omitempty"`
	RealServiceStartLocation string             `json:"real_service_start_location,omitempty"`
	RealServiceEndLocation   string             `json:"real_service_end_location,omitempty"`
	ServiceIntroduction      string             `json:"service_introduction"`
	Fees                     []Fee              `json:"fees,omitempty"`
	Discounts                []PayAfterDiscount `json:"discounts,omitempty"`
	RiskAmount               int64              `json:"risk_amount"`
	TotalAmount              int64              `json:"total_amount"`
	Attach                   string             `json:"attach,omitempty"`
	FinishTicket             string             `json:"finish_ticket,omitempty"`
	FinishTransactionID      string             `json:"finish_transaction_id,omitempty"`
	PayType                  string             `json:"pay_type,omitempty"`
	OrderID                  string             `json:"order_id"`
}

// PayAfterSyncResponse is what sync answers.
type PayAfterSyncResponse struct {
	AppID      string `json:"appid"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no"`
	OrderID    string `json:"order_id"`
}

// PayAfterView renders a stored payafter order as the query returns it at
// now: the finish_ticket is shown only while USER_ACCEPTED.
func PayAfterView(o *store.Order, now time.Time) PayAfterOrder {
	p := o.PayAfter
	v := PayAfterOrder{
		AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OpenID: o.OpenID,
		State: o.State, FinishType: p.FinishType,
		ServiceStartTime: o.TimeRange.StartTime, ServiceEndTime: o.TimeRange.EndTime,
		RealServiceStartTime: p.RealStartTime, RealServiceEndTime: p.RealEndTime,
		RealServiceStartLocation: p.RealStartLocation, RealServiceEndLocation: p.RealEndLocation,
		ServiceIntroduction: o.ServiceIntroduction, RiskAmount: o.RiskFund.Amount, TotalAmount: o.TotalAmount,
		Attach: o.Attach, PayType: p.PayType, OrderID: o.OrderID,
	}
	if o.Location != nil {
		v.ServiceStartLocation, v.ServiceEndLocation = o.Location.StartLocation, o.Location.EndLocation
	}
	for _, f := range o.PostPayments {
		v.Fees = append(v.Fees, Fee{FeeName: f.Name, FeeCount: f.Count, FeeAmount: f.Amount, FeeDesc: f.Description})
	}
	for _, d := range o.PostDiscounts {
		v.Discounts = append(v.Discounts, PayAfterDiscount{DiscountName: d.Name, DiscountDesc: d.Description, DiscountAmount: d.Amount})
	}
	switch o.State {
	case StateUserAccepted:
		v.FinishTicket = finishTicket(o, ticketIndex(o, now))
	case StateUserPaid:
		v.FinishTransactionID = p.FinishTransactionID
		if !p.PaySuccTime.IsZero() {
			v.PaySuccTime = protocol.Format14(p.PaySuccTime)
		}
	}
	return v
}

// ticketIndex is the number of the finish_ticket current at now: a new one
// every ticketPeriod after the user accepted.
func ticketIndex(o *store.Order, now time.Time) int64 {
	return int64(now.Sub(o.AcceptedAt)/ticketPeriod) + 1
}

// finishTicket is the k-th ticket of an order: 28 characters bound to the
// order id, then k in hex, so that any ticket issued so far can be checked
// without storing it.
func finishTicket(o *store.Order, k int64) string {
	return store.Derive("finish_ticket/"+strconv.FormatInt(k, 10), o.OrderID, 28) + fmt.Sprintf("%04x", k)
}

// validTicket reports whether ticket is one the order has issued by now.
func validTicket(o *store.Order, ticket string, now time.Time) bool {
	if len(ticket) != 32 {
		return false
	}
	k, err := strconv.ParseInt(ticket[28:], 16, 64)
	if err != nil || k < 1 || k > ticketIndex(o, now) {
		return false
	}
	return ticket == finishTicket(o, k)
}

// checkFees checks fees[]: required means at least one.
func (c *check) fees(fs []Fee, required bool) {
	if required && len(fs) == 0 {
		c.required("/fees", false)
		return
	}
	if len(fs) > maxPostPayments {
		c.fail("/fees", fmt.Sprintf("数组规则校验失败，元素个数 %d，大于最大值 %d", len(fs), maxPostPayments), "too many fees", len(fs))
		return
	}
	for i, f := range fs {
		p := fmt.Sprintf("/fees/%d", i)
		c.reqStr(p+"/fee_name", f.FeeName, 20)
		c.str(p+"/fee_desc", f.FeeDesc, 30)
		if f.FeeAmount != nil && *f.FeeAmount < 0 {
			c.fail(p+"/fee_amount", "数值规则校验失败，不能小于0", p+"/fee_amount must not be negative", *f.FeeAmount)
		}
		if f.FeeCount != nil {
			c.between(p+"/fee_count", *f.FeeCount, 1, 100)
		}
	}
}

// payAfterDiscounts checks discounts[]; completion needs their amounts.
func (c *check) payAfterDiscounts(ds []PayAfterDiscount, needAmount bool) {
	if len(ds) > maxPayAfterDiscounts {
		c.fail("/discounts", fmt.Sprintf("数组规则校验失败，元素个数 %d，大于最大值 %d", len(ds), maxPayAfterDiscounts), "at most 5 discounts", len(ds))
		return
	}
	for i, d := range ds {
		p := fmt.Sprintf("/discounts/%d", i)
		c.reqStr(p+"/discount_name", d.DiscountName, 20)
		c.str(p+"/discount_desc", d.DiscountDesc, 30)
		if needAmount {
			c.required(p+"/discount_amount", d.DiscountAmount != nil)
		}
		if d.DiscountAmount != nil && *d.DiscountAmount < 0 {
			c.fail(p+"/discount_amount", "数值规则校验失败，不能小于0", p+"/discount_amount must not be negative", *d.DiscountAmount)
		}
	}
}

func feeSum(fs []Fee, ds []PayAfterDiscount) (fees, discounts int64) {
	for _, f := range fs {
		if f.FeeAmount != nil {
			fees += *f.FeeAmount
		}
	}
	for _, d := range ds {
		if d.DiscountAmount != nil {
			discounts += *d.DiscountAmount
		}
	}
	return fees, discounts
}

// sensitive checks the encrypted user fields: they need the Wechatpay-Serial
// header naming the key they were encrypted with, and must decrypt with it.
func (s *Service) sensitive(c *check, serial string, fields map[string]string) {
	for _, name := range []string{"name", "phone", "userid", "address"} {
		v := fields[name]
		if v == "" || c.failed() {
			continue
		}
		if serial == "" {
			c.err = apierr.New(apierr.ParamError, "请求中含有敏感字段，请求头Wechatpay-Serial必填").WithDetail(apierr.Detail{
				Field: "Wechatpay-Serial", Location: apierr.LocHeader,
				Issue: "/" + name + " is encrypted, so the request must name the key in Wechatpay-Serial",
			})
			return
		}
		if _, err := s.decrypt(serial, v); err != nil {
			c.rule("/"+name, "敏感字段解密失败", fmt.Sprintf("/%s must be RSA-OAEP (SHA-1) encrypted with the key of Wechatpay-Serial %s and Base64 encoded", name, serial), nil)
		}
	}
}

// CreatePayAfter creates a legacy payafter order. A 免确认 order
// (need_user_confirm=false) for an authorised user is accepted at once: its
// finish_ticket can be queried right away, and PAYSCORE.USER_ACCEPTED fires.
func (s *Service) CreatePayAfter(m *store.Merchant, req *CreatePayAfterRequest, serial string) (CreatePayAfterResponse, error) {
	now := s.clock.Now()
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/out_order_no", req.OutOrderNo, 32)
	c.pattern("/out_order_no", req.OutOrderNo, reOutOrderNo, "1 to 32 of [0-9A-Za-z_-|*]")
	c.reqStr("/service_id", req.ServiceID, 32)
	c.createTimeRange(&TimeRangeJSON{StartTime: req.ServiceStartTime, EndTime: req.ServiceEndTime}, now,
		timeFields{start: "/service_start_time", end: "/service_end_time"})
	c.str("/service_start_location", req.ServiceStartLocation, 20)
	c.str("/service_end_location", req.ServiceEndLocation, 20)
	c.reqStr("/service_introduction", req.ServiceIntroduction, 20)
	c.fees(req.Fees, true)
	c.payAfterDiscounts(req.Discounts, false)
	if c.required("/risk_amount", req.RiskAmount != nil) && *req.RiskAmount <= 0 {
		c.fail("/risk_amount", "数值规则校验失败，需大于0", "risk_amount must be positive", *req.RiskAmount)
	}
	c.str("/attach", req.Attach, 200)
	c.str("/openid", req.OpenID, 128)
	needConfirm := req.NeedUserConfirm == nil || *req.NeedUserConfirm
	if !needConfirm {
		c.required("/openid", req.OpenID != "")
	}
	s.sensitive(c, serial, map[string]string{"name": req.Name, "phone": req.Phone, "userid": req.UserID, "address": req.Address})
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if !c.failed() {
		fees, disc := feeSum(req.Fees, req.Discounts)
		switch {
		case *req.RiskAmount > m.RiskFundCap:
			c.rule("/risk_amount", "风险金额超过服务允许的最大值", fmt.Sprintf("risk_amount %d exceeds the service's risk cap %d", *req.RiskAmount, m.RiskFundCap), *req.RiskAmount)
		case len(req.Discounts) > 0 && disc > 0 && fees-disc >= *req.RiskAmount:
			c.rule("/risk_amount", "费用减去优惠需小于风险金额", "Σfees − Σdiscounts must be less than risk_amount", *req.RiskAmount)
		}
	}
	if err := c.result(); err != nil {
		return CreatePayAfterResponse{}, err
	}
	dg := digest(req)

	tx := s.store.Write()
	defer tx.Abort()
	if o, err := tx.Order(m.MchID, store.KindPayAfter, req.OutOrderNo); err == nil {
		if o.CreateDigest != dg {
			return CreatePayAfterResponse{}, errSameNumberOtherParams(req.OutOrderNo)
		}
		return payAfterCreated(o), nil
	}
	if !needConfirm {
		if err := requireAuthorization(tx.ReadTxn, m.MchID, req.ServiceID, req.OpenID); err != nil {
			return CreatePayAfterResponse{}, err
		}
	}
	o := &store.Order{
		Kind: store.KindPayAfter, MchID: m.MchID, OutOrderNo: req.OutOrderNo, OrderID: s.newOrderID(now),
		AppID: req.AppID, ServiceID: req.ServiceID, OpenID: req.OpenID, ServiceIntroduction: req.ServiceIntroduction,
		NeedUserConfirm: needConfirm, RiskFund: store.RiskFund{Amount: *req.RiskAmount},
		TimeRange: store.TimeRange{StartTime: req.ServiceStartTime, EndTime: req.ServiceEndTime},
		Location:  toLocation(&LocationJSON{StartLocation: req.ServiceStartLocation, EndLocation: req.ServiceEndLocation}),
		Attach:    req.Attach, CreateDigest: dg, CreatedAt: now, UpdatedAt: now, PayAfter: &store.PayAfter{},
	}
	for _, f := range req.Fees {
		o.PostPayments = append(o.PostPayments, store.PostPayment{Name: f.FeeName, Amount: f.FeeAmount, Description: f.FeeDesc, Count: f.FeeCount})
	}
	for _, d := range req.Discounts {
		o.PostDiscounts = append(o.PostDiscounts, store.PostDiscount{Name: d.DiscountName, Description: d.DiscountDesc, Amount: d.DiscountAmount})
	}
	o.State = StateCreated
	s.note(o, now, EventState, "created: CREATED")
	if needConfirm {
		job := s.expiryJob(o)
		tx.Defer(func() { clock.Schedule(s.clock, job) })
		s.userCreated(tx, o, now)
	} else if err := s.accept(tx, o, now, "免确认: the user's authorization is AVAILABLE"); err != nil {
		return CreatePayAfterResponse{}, err
	}
	if err := tx.PutOrder(o); err != nil {
		return CreatePayAfterResponse{}, err
	}
	tx.Commit()
	return payAfterCreated(o), nil
}

func payAfterCreated(o *store.Order) CreatePayAfterResponse {
	return CreatePayAfterResponse{
		AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OrderID: o.OrderID,
		MiniprogramBusinessType: "wxpayScoreUse", MiniprogramAppID: payScoreMiniprogramAppID,
		MiniprogramPath: payScoreMiniprogramPath, MiniprogramUsername: payScoreMiniprogramUsername,
		Package: o.Package(),
	}
}

// accept moves a payafter order to USER_ACCEPTED, which issues its first
// finish_ticket, and fires PAYSCORE.USER_ACCEPTED carrying it.
func (s *Service) accept(tx store.WriteTxn, o *store.Order, now time.Time, why string) error {
	o.AcceptedAt = now
	s.setState(o, now, StateUserAccepted, "", why)
	s.userStarted(tx, o, now)
	return s.notifyPayAfter(tx, o, now, "PAYSCORE.USER_ACCEPTED", "用户确认订单")
}

// notifyPayAfter enqueues a legacy callback. Payafter orders carry no
// notify_url: their callbacks go to the service's configured address.
func (s *Service) notifyPayAfter(tx store.WriteTxn, o *store.Order, now time.Time, eventType, summary string) error {
	m, err := tx.Merchant(o.MchID)
	if err != nil {
		return err
	}
	res := PayAfterView(o, now)
	res.OutRequestNo = o.OutOrderNo // the legacy payload names the order this way too
	n, err := s.notifier.Enqueue(tx, notify.Event{
		MchID: o.MchID, APIv3Key: m.APIv3Key, EventType: eventType, Summary: summary, NotifyURL: m.NotifyURL,
		OriginalType: "payscore", Resource: res, OrderKind: o.Kind, OutOrderNo: o.OutOrderNo, OpenID: o.OpenID,
		Schedule: notify.PayScoreSchedule,
	})
	if err != nil {
		return err
	}
	s.note(o, now, EventNotification, eventType+" queued as "+n.ID)
	return nil
}

// QueryPayAfter returns a payafter order (GET /v3/payscore/payafter-orders).
func (s *Service) QueryPayAfter(m *store.Merchant, q OrderQuery) (PayAfterOrder, error) {
	o, err := s.queryOrder(m, store.KindPayAfter, q)
	if err != nil {
		return PayAfterOrder{}, err
	}
	return PayAfterView(o, s.clock.Now()), nil
}

// ConfirmPayAfter is the user accepting a CREATED payafter order (sandbox).
func (s *Service) ConfirmPayAfter(mchid, outOrderNo, openid string) error {
	_, err := s.change(mchid, store.KindPayAfter, outOrderNo, OpConfirm, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := s.bindUser(o, openid); err != nil {
			return err
		}
		if err := s.userRefusesConfirm(o); err != nil {
			return err
		}
		return s.accept(tx, o, now, "the user accepted in WeChat")
	})
	return err
}

// CancelPayAfter revokes a payafter order the user has not been charged for.
func (s *Service) CancelPayAfter(m *store.Merchant, outOrderNo string, req *CancelRequest) (OrderIDs, error) {
	return s.cancel(m, store.KindPayAfter, outOrderNo, req)
}

// CompletePayAfter finishes a USER_ACCEPTED order with a finish_ticket it
// issued: finish_type 2 charges total_amount (after the deduction delay),
// finish_type 1 records that the service was not used.
func (s *Service) CompletePayAfter(m *store.Merchant, outOrderNo string, req *CompletePayAfterRequest) (OrderIDs, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	if c.required("/finish_type", req.FinishType != nil) && *req.FinishType != FinishTypeCancel && *req.FinishType != FinishTypeFinish {
		c.fail("/finish_type", "枚举值规则校验失败，取值为1或2", "finish_type must be 1 (service not used) or 2 (service used)", *req.FinishType)
	}
	c.reqStr("/finish_ticket", req.FinishTicket, 64)
	c.str("/cancel_reason", req.CancelReason, 30)
	c.str("/real_service_end_location", req.RealServiceEndLocation, 20)
	var start, end serviceTime
	if req.RealServiceStartTime != "" {
		start, _ = c.parseTime("/real_service_start_time", req.RealServiceStartTime, false)
	}
	if req.RealServiceEndTime != "" {
		end, _ = c.parseTime("/real_service_end_time", req.RealServiceEndTime, false)
	}
	if !c.failed() {
		switch *req.FinishType {
		case FinishTypeCancel:
			c.reqStr("/cancel_reason", req.CancelReason, 30)
			if req.TotalAmount != nil && *req.TotalAmount != 0 {
				c.rule("/total_amount", "服务未使用时订单金额必须为0", "finish_type 1 (service not used) charges nothing: total_amount must be 0", *req.TotalAmount)
			}
		case FinishTypeFinish:
			c.fees(req.Fees, true)
			c.payAfterDiscounts(req.Discounts, true)
			if c.required("/total_amount", req.TotalAmount != nil) {
				fees, disc := feeSum(req.Fees, req.Discounts)
				switch {
				case *req.TotalAmount < 0:
					c.fail("/total_amount", "数值规则校验失败，不能小于0", "total_amount must not be negative", *req.TotalAmount)
				case *req.TotalAmount != fees-disc:
					c.rule("/total_amount", "订单金额与费用、优惠金额不一致",
						fmt.Sprintf("total_amount %d must equal Σfee_amount %d − Σdiscount_amount %d = %d", *req.TotalAmount, fees, disc, fees-disc), *req.TotalAmount)
				}
			}
			c.required("/real_service_end_time", req.RealServiceEndTime != "")
		}
	}
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
		return OrderIDs{}, err
	}
	o, err := s.change(m.MchID, store.KindPayAfter, outOrderNo, OpComplete, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		if !c.failed() && !validTicket(o, req.FinishTicket, now) {
			c.rule("/finish_ticket", "finish_ticket无效", "finish_ticket is not one this order issued; read it from the order query or the PAYSCORE.USER_ACCEPTED callback", req.FinishTicket)
		}
		startAt := o.AcceptedAt
		if req.RealServiceStartTime != "" {
			startAt = start.t
		}
		switch {
		case c.failed():
		case req.RealServiceEndTime != "" && end.t.After(now):
			c.rule("/real_service_end_time", "实际结束时间不能晚于使用完结接口的时间", "real_service_end_time must not be after the complete call (Beijing time)", req.RealServiceEndTime)
		case req.RealServiceEndTime != "" && !end.dateOnly && !end.t.After(startAt):
			c.rule("/real_service_end_time", "真实结束时间小于开始时间", "real_service_end_time must be after the service start", req.RealServiceEndTime)
		case req.TotalAmount != nil && *req.TotalAmount > o.RiskFund.Amount:
			c.rule("/total_amount", "订单金额不能超过风险金额", fmt.Sprintf("total_amount %d must not exceed risk_amount %d", *req.TotalAmount, o.RiskFund.Amount), *req.TotalAmount)
		}
		if err := c.result(); err != nil {
			return err
		}
		p := o.PayAfter
		p.FinishType, p.CancelReason = *req.FinishType, req.CancelReason
		p.RealStartTime, p.RealEndTime = req.RealServiceStartTime, req.RealServiceEndTime
		p.RealEndLocation = req.RealServiceEndLocation
		if o.Location != nil {
			p.RealStartLocation = o.Location.StartLocation
		}
		o.CompletedAt, o.Completed = now, true
		if *req.FinishType == FinishTypeCancel {
			s.setState(o, now, StateRevoked, "", "finished as not used: "+req.CancelReason)
			return nil
		}
		o.PostPayments, o.PostDiscounts = nil, nil
		for _, f := range req.Fees {
			o.PostPayments = append(o.PostPayments, store.PostPayment{Name: f.FeeName, Amount: f.FeeAmount, Description: f.FeeDesc, Count: f.FeeCount})
		}
		for _, d := range req.Discounts {
			o.PostDiscounts = append(o.PostDiscounts, store.PostDiscount{Name: d.DiscountName, Description: d.DiscountDesc, Amount: d.DiscountAmount})
		}
		o.TotalAmount, o.CompletedAmount = *req.TotalAmount, *req.TotalAmount
		if o.TotalAmount == 0 {
			p.PaySuccTime = now
			s.setState(o, now, StateUserPaid, "", "finished with nothing to charge")
			return nil
		}
		s.setState(o, now, StateFinished, "", fmt.Sprintf("finished by the merchant, %d fen to charge", o.TotalAmount))
		s.scheduleDeduction(tx, o, now, s.deductionDelay, "after completion")
		return nil
	})
	if err != nil {
		return OrderIDs{}, err
	}
	return IDs(o), nil
}

// payAfterPaid records the charge of a payafter order and fires the paid
// callback.
func (s *Service) payAfterPaid(tx store.WriteTxn, o *store.Order, now time.Time, why string) error {
	t, err := s.charge(tx, o, o.TotalAmount, now)
	if err != nil {
		return err
	}
	o.PayAfter.FinishTransactionID, o.PayAfter.PaySuccTime = t.TransactionID, now
	s.note(o, now, EventDeduction, fmt.Sprintf("collected %d fen %s", o.TotalAmount, t.TransactionID))
	s.setState(o, now, StateUserPaid, "", why)
	return s.notifyPayAfter(tx, o, now, "PAYSCORE.USER_PAID", "支付成功")
}

// SyncPayAfter records that the user paid through the merchant's channel.
func (s *Service) SyncPayAfter(m *store.Merchant, outOrderNo string, req *SyncRequest) (PayAfterSyncResponse, error) {
	paid, err := checkSync(m, req)
	if err != nil {
		return PayAfterSyncResponse{}, err
	}
	o, err := s.change(m.MchID, store.KindPayAfter, outOrderNo, OpSync, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		if !c.failed() && (paid.t.After(now) || (!paid.dateOnly && !paid.t.After(o.CompletedAt))) {
			c.rule("/detail/paid_time", "支付时间需晚于完结订单时间且不晚于当前时间", "paid_time must be after the completion and not after the sync call", req.Detail.PaidTime)
		}
		if err := c.result(); err != nil {
			return err
		}
		o.PayAfter.PayType, o.PayAfter.PaySuccTime = PayTypeMchChannel, paid.t
		s.setState(o, now, StateUserPaid, "", "paid through the merchant's channel (sync Order_Paid)")
		return nil
	})
	if err != nil {
		return PayAfterSyncResponse{}, err
	}
	return PayAfterSyncResponse{AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, OrderID: o.OrderID}, nil
}

// UserPayPayAfter is the user paying a FINISHED order in WeChat (sandbox).
func (s *Service) UserPayPayAfter(mchid, outOrderNo string) error {
	_, err := s.change(mchid, store.KindPayAfter, outOrderNo, OpUserPay, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		return s.payAfterPaid(tx, o, now, "the user paid in WeChat")
	})
	return err
}

// queryOrder finds the order a query names, for either order API.
func (s *Service) queryOrder(m *store.Merchant, kind string, q OrderQuery) (*store.Order, error) {
	c := newCheck(apierr.LocQuery)
	switch {
	case q.OutOrderNo == "" && q.QueryID == "":
		c.fail("out_order_no", "必填性规则校验失败，out_order_no和query_id必须填写其中一个", "give out_order_no or query_id", nil)
	case q.OutOrderNo != "" && q.QueryID != "":
		c.rule("query_id", "out_order_no和query_id不能同时填写", "give out_order_no or query_id, not both", q.QueryID)
	}
	c.str("out_order_no", q.OutOrderNo, 32)
	c.str("query_id", q.QueryID, 512)
	c.reqStr("service_id", q.ServiceID, 32)
	c.reqStr("appid", q.AppID, 32)
	checkMerchant(m, q.AppID, q.ServiceID, c)
	if err := c.result(); err != nil {
		return nil, err
	}
	tx := s.store.Read()
	var o *store.Order
	var err error
	if q.OutOrderNo != "" {
		o, err = loadOrder(tx, m.MchID, kind, q.OutOrderNo)
	} else if o, err = tx.OrderByQueryID(m.MchID, kind, q.QueryID); errors.Is(err, store.ErrNotFound) {
		err = apierr.New(apierr.OrderNotExist, "订单不存在").WithDetail(apierr.Detail{Field: "query_id", Value: q.QueryID, Location: apierr.LocQuery, Issue: "no such order for this merchant"})
	}
	if err != nil {
		return nil, err
	}
	if o.ServiceID != q.ServiceID || o.AppID != q.AppID {
		return nil, errOrderNotExist(o.OutOrderNo)
	}
	return o, nil
}
