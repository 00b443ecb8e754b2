package wire

import "github.com/mockpay/mockpay/mock/internal/store"

// The 平台收付通 binding of a sub-merchant to a service provider's Pay
// Score service (服务账户绑定, protocol-partner.md §6).

// ServiceAccountRequest is the body of POST
// /v3/payscore/partner/service-account-applications.
type ServiceAccountRequest struct {
	SubMchID        string `json:"sub_mchid"`
	ServiceID       string `json:"service_id"`
	AppID           string `json:"appid"`
	SubAppID        string `json:"sub_appid"`
	OutApplyNo      string `json:"out_apply_no"`
	ResultNotifyURL string `json:"result_notify_url"`
}

// ServiceAccountApplication is an application as the API answers it and,
// without its result_notify_url, as PAYSCORE.BIND_SERVICE_ACCOUNT carries
// it.
type ServiceAccountApplication struct {
	ServiceID       string `json:"service_id"`
	MchID           string `json:"mchid"`
	AppID           string `json:"appid"`
	SubMchID        string `json:"sub_mchid"`
	SubAppID        string `json:"sub_appid,omitempty"`
	OutApplyNo      string `json:"out_apply_no"`
	ResultNotifyURL string `json:"result_notify_url,omitempty"`
	ApplyState      string `json:"apply_state"`
	RejectReason    string `json:"reject_reason,omitempty"`
}

// ApplicationView renders a stored application.
func ApplicationView(a *store.Application) ServiceAccountApplication {
	return ServiceAccountApplication{
		ServiceID: a.ServiceID, MchID: a.MchID, AppID: a.AppID, SubMchID: a.SubMchID, SubAppID: a.SubAppID,
		OutApplyNo: a.OutApplyNo, ResultNotifyURL: a.ResultNotifyURL, ApplyState: a.State, RejectReason: a.RejectReason,
	}
}
