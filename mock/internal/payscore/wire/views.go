package wire

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// How stored orders and authorizations read as the API's answers and
// callback resources.

// View renders a stored service order as the query API returns it.
func View(o *store.Order) Order {
	total := o.TotalAmount
	v := Order{
		AppID:               o.AppID,
		MchID:               o.MchID,
		SubAppID:            o.SubAppID,
		SubMchID:            o.SubMchID,
		OutOrderNo:          o.OutOrderNo,
		ServiceID:           o.ServiceID,
		ServiceIntroduction: o.ServiceIntroduction,
		State:               string(o.State),
		StateDescription:    string(o.StateDescription),
		TotalAmount:         &total,
		PostPayments:        payments(o.PostPayments),
		PostDiscounts:       discounts(o.PostDiscounts),
		TimeRange:           timeRange(o.TimeRange),
		Attach:              o.Attach,
		NotifyURL:           o.NotifyURL,
		OpenID:              o.OpenID,
		SubOpenID:           o.SubOpenID,
		OrderID:             o.OrderID,
	}
	if o.RiskFund.Name != "" {
		amount := o.RiskFund.Amount
		v.RiskFund = &RiskFund{Name: o.RiskFund.Name, Amount: &amount, Description: o.RiskFund.Description}
	}
	if o.Location != nil {
		v.Location = &Location{StartLocation: o.Location.StartLocation, EndLocation: o.Location.EndLocation}
	}
	if o.Completed {
		need := o.Collection != nil
		v.NeedCollection = &need
	}
	if c := o.Collection; c != nil {
		cj := &Collection{State: string(c.State), TotalAmount: c.TotalAmount, PayingAmount: c.PayingAmount, PaidAmount: c.PaidAmount}
		cj.Details = stored(c.Details, func(d store.CollectionDetail) CollectionDetail {
			return CollectionDetail{Seq: d.Seq, Amount: d.Amount, PaidType: string(d.PaidType), PaidTime: protocol.Format14(d.PaidTime), TransactionID: d.TransactionID}
		})
		v.Collection = cj
	}
	return v
}

// CreateView is what create answers: the order and its package, without
// what only completion adds.
func CreateView(o *store.Order) Order {
	v := View(o)
	v.Package = o.Package()
	v.NeedCollection, v.Collection, v.OpenID, v.SubOpenID = nil, nil, "", ""
	return v
}

// CompleteView is what complete answers.
func CompleteView(o *store.Order) Order {
	v := View(o)
	v.OpenID, v.SubOpenID, v.NotifyURL, v.Attach, v.Collection = "", "", "", "", nil
	return v
}

// ModifyView is what modify answers: the order without the user.
func ModifyView(o *store.Order) Order {
	v := View(o)
	v.OpenID, v.SubOpenID = "", ""
	return v
}

// DirectCompleteView is what direct-complete answers.
func DirectCompleteView(o *store.Order) Order {
	v := View(o)
	v.OpenID, v.SubOpenID, v.RiskFund, v.NeedCollection, v.Collection = "", "", nil, nil, nil
	return v
}

// IDs renders what cancel and pay return.
func IDs(o *store.Order) OrderIDs {
	return OrderIDs{AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OrderID: o.OrderID}
}

func timeRange(t store.TimeRange) *TimeRange {
	if t == (store.TimeRange{}) {
		return nil
	}
	return &TimeRange{StartTime: t.StartTime, StartTimeRemark: t.StartTimeRemark, EndTime: t.EndTime, EndTimeRemark: t.EndTimeRemark}
}

func payments(ps []store.PostPayment) []Payment {
	return stored(ps, func(p store.PostPayment) Payment {
		return Payment{Name: p.Name, Amount: p.Amount, Description: p.Description, Count: p.Count}
	})
}

func discounts(ds []store.PostDiscount) []Discount {
	return stored(ds, func(d store.PostDiscount) Discount {
		return Discount{Name: d.Name, Description: d.Description, Amount: d.Amount, Count: d.Count}
	})
}

// The Pay Score mini-program the legacy create answer points the front end
// to (test values).
const (
	payScoreMiniprogramAppID    = "wxd8f3793ea3b935b8"
	payScoreMiniprogramPath     = "pages/use/use"
	payScoreMiniprogramUsername = "gh_1234567890ab"
)

// PayAfterCreated is what a payafter create answers.
func PayAfterCreated(o *store.Order) CreatePayAfterResponse {
	return CreatePayAfterResponse{
		AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OrderID: o.OrderID,
		MiniprogramBusinessType: "wxpayScoreUse", MiniprogramAppID: payScoreMiniprogramAppID,
		MiniprogramPath: payScoreMiniprogramPath, MiniprogramUsername: payScoreMiniprogramUsername,
		Package: o.Package(),
	}
}

// PayAfterSynced is what a payafter sync answers.
func PayAfterSynced(o *store.Order) PayAfterSyncResponse {
	return PayAfterSyncResponse{AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, OrderID: o.OrderID}
}

// PayAfterView renders a stored payafter order as the query returns it at
// now: the finish_ticket is shown only while USER_ACCEPTED.
func PayAfterView(o *store.Order, now time.Time) PayAfterOrder {
	p := o.PayAfter
	v := PayAfterOrder{
		AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OpenID: o.OpenID,
		State: string(o.State), FinishType: p.FinishType,
		ServiceStartTime: o.TimeRange.StartTime, ServiceEndTime: o.TimeRange.EndTime,
		RealServiceStartTime: p.RealStartTime, RealServiceEndTime: p.RealEndTime,
		RealServiceStartLocation: p.RealStartLocation, RealServiceEndLocation: p.RealEndLocation,
		ServiceIntroduction: o.ServiceIntroduction, RiskAmount: o.RiskFund.Amount, TotalAmount: o.TotalAmount,
		Attach: o.Attach, PayType: p.PayType, OrderID: o.OrderID,
	}
	if o.Location != nil {
		v.ServiceStartLocation, v.ServiceEndLocation = o.Location.StartLocation, o.Location.EndLocation
	}
	v.Fees = stored(o.PostPayments, func(f store.PostPayment) Fee {
		return Fee{FeeName: f.Name, FeeCount: f.Count, FeeAmount: f.Amount, FeeDesc: f.Description}
	})
	v.Discounts = stored(o.PostDiscounts, func(d store.PostDiscount) PayAfterDiscount {
		return PayAfterDiscount{DiscountName: d.Name, DiscountDesc: d.Description, DiscountAmount: d.Amount}
	})
	switch o.State {
	case store.StateUserAccepted:
		v.FinishTicket = finishTicket(o, ticketIndex(o, now))
	case store.StateUserPaid:
		v.FinishTransactionID = p.FinishTransactionID
		if !p.PaySuccTime.IsZero() {
			v.PaySuccTime = protocol.Format14(p.PaySuccTime)
		}
	}
	return v
}

// ticketPeriod is how often the finish_ticket a query returns changes;
// every ticket issued before stays valid.
const ticketPeriod = 10 * time.Minute

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

// ValidTicket reports whether ticket is one the order has issued by now.
func ValidTicket(o *store.Order, ticket string, now time.Time) bool {
	if len(ticket) != 32 {
		return false
	}
	k, err := strconv.ParseInt(ticket[28:], 16, 64)
	if err != nil || k < 1 || k > ticketIndex(o, now) {
		return false
	}
	return ticket == finishTicket(o, k)
}

// PermissionView renders an authorization record as the query by
// authorization_code returns it.
func PermissionView(p *store.Permission) Permission {
	v := Permission{
		ServiceID: p.ServiceID, AppID: p.AppID, MchID: p.MchID, SubMchID: p.SubMchID, SubAppID: p.SubAppID,
		OpenID: p.OpenID, SubOpenID: p.SubOpenID,
		AuthorizationCode: p.AuthorizationCode, AuthorizationState: p.State, NotifyURL: p.NotifyURL,
	}
	if !p.CancelTime.IsZero() {
		v.CancelAuthorizationTime = protocol.FormatRFC3339Milli(p.CancelTime)
	}
	if !p.SuccessTime.IsZero() {
		v.AuthorizationSuccessTime = protocol.FormatRFC3339Milli(p.SuccessTime)
	}
	if p.UserRiskLevel != 0 {
		level, version := p.UserRiskLevel, p.RiskLevelVersion
		v.UserRiskLevel, v.RiskLevelVersion = &level, &version
	}
	return v
}

// PermissionByOpenIDView is what the query by openid returns: the record
// without its notify_url.
func PermissionByOpenIDView(p *store.Permission) Permission {
	v := PermissionView(p)
	v.NotifyURL = ""
	return v
}

// PermissionEventOf renders the resource of an authorization callback
// fired at now.
func PermissionEventOf(p *store.Permission, status string, now time.Time) PermissionEvent {
	return PermissionEvent{
		AppID: p.AppID, MchID: p.MchID, SubMchID: p.SubMchID, SubAppID: p.SubAppID,
		ServiceID: p.ServiceID, OpenID: p.OpenID, SubOpenID: p.SubOpenID,
		UserServiceStatus: status, OpenOrCloseTime: protocol.Format14(now), AuthorizationCode: p.AuthorizationCode,
	}
}
