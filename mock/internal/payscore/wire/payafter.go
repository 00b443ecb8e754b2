package wire

// The legacy 先享后付 API, /v3/payscore/payafter-orders (protocol.md §5).

// finish_type's values.
const (
	FinishTypeCancel = 1 // the service was not used
	FinishTypeFinish = 2 // the service was used and is charged
)

// PayTypeMchChannel is pay_type after a sync.
const PayTypeMchChannel = "MchChannelPayType"

// Fee is a fees[] item.
type Fee struct {
	FeeName   string `json:"fee_name,omitempty"`
	FeeCount  *int64 `json:"fee_count,omitempty"`
	FeeAmount *int64 `json:"fee_amount,omitempty"`
	FeeDesc   string `json:"fee_desc,omitempty"`
}

// FeeAmount is a fees[] item's amount, for sums.
func FeeAmount(f Fee) *int64 { return f.FeeAmount }

// PayAfterDiscount is a discounts[] item.
type PayAfterDiscount struct {
	DiscountName   string `json:"discount_name,omitempty"`
	DiscountDesc   string `json:"discount_desc,omitempty"`
	DiscountAmount *int64 `json:"discount_amount,omitempty"`
}

// PayAfterDiscountAmount is a discounts[] item's amount, for sums.
func PayAfterDiscountAmount(d PayAfterDiscount) *int64 { return d.DiscountAmount }

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

// NeedsConfirmation reports whether the user must accept the order, the
// default; false is 免确认.
func (r *CreatePayAfterRequest) NeedsConfirmation() bool {
	return r.NeedUserConfirm == nil || *r.NeedUserConfirm
}

// Sensitive lists the encrypted user fields by name, in the order they are
// checked.
func (r *CreatePayAfterRequest) Sensitive() []SensitiveField {
	return []SensitiveField{{"name", r.Name}, {"phone", r.Phone}, {"userid", r.UserID}, {"address", r.Address}}
}

// SensitiveField is one encrypted field of a request.
type SensitiveField struct {
	Name, Value string
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
