package rules

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The legacy payafter-order requests (protocol.md §5).

// payAfterTimes names a payafter create's flat service times.
var payAfterTimes = timeNames{start: "/service_start_time", end: "/service_end_time"}

// Decrypt opens a sensitive field encrypted for the key serial names.
type Decrypt func(serial, ciphertext string) (string, error)

// CreatePayAfter checks a payafter create at now. Its sensitive fields
// need the Wechatpay-Serial header (serial) naming the key they were
// encrypted with, and must decrypt with it.
func CreatePayAfter(req *wire.CreatePayAfterRequest, m *store.Merchant, now time.Time, serial string, decrypt Decrypt) error {
	c := field.Body()
	newOrder(c, req.OutOrderNo, req.AppID, req.ServiceID)
	plannedTimes(c, &wire.TimeRange{StartTime: req.ServiceStartTime, EndTime: req.ServiceEndTime}, now, payAfterTimes)
	c.String("/service_start_location", req.ServiceStartLocation, 20)
	c.String("/service_end_location", req.ServiceEndLocation, 20)
	c.RequiredString("/service_introduction", req.ServiceIntroduction, 20)
	if required(c, fees.ptr, len(req.Fees)) {
		fees.check(c, feeEntries(req.Fees))
	}
	payAfterDiscounts.check(c, payAfterDiscountEntries(req.Discounts))
	if c.Required("/risk_amount", req.RiskAmount != nil) {
		c.Positive("/risk_amount", *req.RiskAmount)
	}
	c.String("/attach", req.Attach, 200)
	c.OpenID("/openid", req.OpenID)
	if !req.NeedsConfirmation() {
		c.Required("/openid", req.OpenID != "")
	}
	sensitive(c, req.Sensitive(), serial, decrypt)
	merchant(c, m, req.AppID, req.ServiceID)
	charges := field.Sum(c, fees.ptr, req.Fees, wire.FeeAmount)
	discounts := field.Sum(c, payAfterDiscounts.ptr, req.Discounts, wire.PayAfterDiscountAmount)
	if c.Failed() {
		return c.Err()
	}
	underCap(c, "/risk_amount", "risk_amount", *req.RiskAmount, m, "风险金额超过服务允许的最大值")
	if discounts > 0 && charges-discounts >= *req.RiskAmount {
		c.Rule("/risk_amount", "费用减去优惠需小于风险金额", "Σfees − Σdiscounts must be less than risk_amount", *req.RiskAmount)
	}
	return c.Err()
}

// sensitive checks the encrypted user fields.
func sensitive(c *field.Check, fields []wire.SensitiveField, serial string, decrypt Decrypt) {
	for _, f := range fields {
		switch {
		case f.Value == "" || c.Failed():
		case serial == "":
			c.Refuse(apierr.New(apierr.ParamError, "请求中含有敏感字段，请求头Wechatpay-Serial必填").WithDetail(apierr.Detail{
				Field: "Wechatpay-Serial", Location: apierr.LocHeader,
				Issue: "/" + f.Name + " is encrypted, so the request must name the key in Wechatpay-Serial",
			}))
		default:
			if _, err := decrypt(serial, f.Value); err != nil {
				c.Rule("/"+f.Name, "敏感字段解密失败", fmt.Sprintf("/%s must be RSA-OAEP (SHA-1) encrypted with the key of Wechatpay-Serial %s and Base64 encoded", f.Name, serial), nil)
			}
		}
	}
}

// PayAfterCompletion is what a checked payafter completion says of its
// service's times.
type PayAfterCompletion struct {
	Start, End field.ServiceTime // zero when not given
}

// CompletePayAfter checks a payafter completion's own fields.
func CompletePayAfter(req *wire.CompletePayAfterRequest, m *store.Merchant) (PayAfterCompletion, error) {
	c := field.Body()
	c.RequiredString("/appid", req.AppID, maxID)
	c.RequiredString("/service_id", req.ServiceID, maxID)
	if c.Required("/finish_type", req.FinishType != nil) && *req.FinishType != wire.FinishTypeCancel && *req.FinishType != wire.FinishTypeFinish {
		c.Rule("/finish_type", "枚举值规则校验失败，取值为1或2", "finish_type must be 1 (service not used) or 2 (service used)", *req.FinishType)
	}
	c.RequiredString("/finish_ticket", req.FinishTicket, 64)
	c.String("/cancel_reason", req.CancelReason, 30)
	c.String("/real_service_end_location", req.RealServiceEndLocation, 20)
	var times PayAfterCompletion
	if req.RealServiceStartTime != "" {
		times.Start, _ = c.ParseTime("/real_service_start_time", req.RealServiceStartTime, false)
	}
	if req.RealServiceEndTime != "" {
		times.End, _ = c.ParseTime("/real_service_end_time", req.RealServiceEndTime, false)
	}
	if !c.Failed() {
		switch *req.FinishType {
		case wire.FinishTypeCancel:
			c.Required("/cancel_reason", req.CancelReason != "")
			if req.TotalAmount != nil && *req.TotalAmount != 0 {
				c.Rule("/total_amount", "服务未使用时订单金额必须为0", "finish_type 1 (service not used) charges nothing: total_amount must be 0", *req.TotalAmount)
			}
		case wire.FinishTypeFinish:
			if required(c, fees.ptr, len(req.Fees)) {
				fees.check(c, feeEntries(req.Fees))
			}
			discounts := payAfterDiscounts
			discounts.needAmount = true
			discounts.check(c, payAfterDiscountEntries(req.Discounts))
			total(c, req.TotalAmount, field.Sum(c, fees.ptr, req.Fees, wire.FeeAmount),
				field.Sum(c, payAfterDiscounts.ptr, req.Discounts, wire.PayAfterDiscountAmount), "费用、优惠")
			c.Required("/real_service_end_time", req.RealServiceEndTime != "")
		}
	}
	merchant(c, m, req.AppID, req.ServiceID)
	return times, c.Err()
}

// CompletePayAfterOrder checks a payafter completion against the order at
// now: a finish_ticket the order issued, a service over by the call, and
// a total within the risk amount.
func CompletePayAfterOrder(req *wire.CompletePayAfterRequest, times PayAfterCompletion, o *store.Order, now time.Time) error {
	c := field.Body()
	sameOrder(c, o, req.AppID, req.ServiceID)
	if !c.Failed() && !wire.ValidTicket(o, req.FinishTicket, now) {
		c.Rule("/finish_ticket", "finish_ticket无效", "finish_ticket is not one this order issued; read it from the order query or the PAYSCORE.USER_ACCEPTED callback", req.FinishTicket)
	}
	start := field.Instant(o.AcceptedAt)
	if req.RealServiceStartTime != "" {
		start = times.Start
	}
	if req.RealServiceEndTime != "" {
		ended(c, "/real_service_end_time", req.RealServiceEndTime, start, times.End, now)
	}
	if req.TotalAmount != nil && *req.TotalAmount > o.RiskFund.Amount {
		c.Rule("/total_amount", "订单金额不能超过风险金额", fmt.Sprintf("total_amount %d must not exceed risk_amount %d", *req.TotalAmount, o.RiskFund.Amount), *req.TotalAmount)
	}
	return c.Err()
}
