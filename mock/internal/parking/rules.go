package parking

import (
	"fmt"
	"slices"

	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// What the parking requests must be (protocol-parking.md §3–§6), in the
// vocabulary of package field: each request's own fields, checked before
// anything is looked up. The rules against the entry a deduction names
// are CreateTransaction's.

// Lengths (protocol-parking.md §3–§5).
const (
	maxID          = 32  // appid, sub_mchid, sub_appid, parking_id, device_id
	maxOpenID      = 128 // openid: 32 on the page, 128 as every other API (docs/fidelity.md)
	maxParkingName = 128
	maxDescription = 128 // description, attach
	maxGoodsTag    = 32
)

// subMerchant checks the sub_mchid a call carries, after its other
// fields: a service provider must name one of its bound sub-merchants
// (403 NO_AUTH 受理关系不存在, protocol-partner.md §1.4: field.Check.NotBound,
// the partner API's answer too), a direct merchant none.
func subMerchant(c *field.Check, m *store.Merchant, subMchID string) {
	name := c.Name("sub_mchid")
	switch {
	case c.Failed():
	case !m.IsPartner():
		if subMchID != "" {
			c.Rule(name, "sub_mchid仅服务商模式可用", "a direct merchant has no sub-merchants: leave sub_mchid out", subMchID)
		}
	case !c.Required(name, subMchID != ""):
	case !field.MchID.Match(subMchID):
		c.Pattern(name, subMchID, field.MchID)
	default:
		if _, ok := m.SubMerchant(subMchID); !ok {
			c.Refuse(c.NotBound(name, subMchID, m.MchID, true))
		}
	}
}

// appID checks that an appid is the merchant's: the service provider's
// own, or for a query one of the sub-merchant's (which appid a partner's
// openid is under is unconfirmed).
func appID(c *field.Check, m *store.Merchant, subMchID, appid string) {
	if c.Failed() || m.HasAppID(appid) {
		return
	}
	if sm, ok := m.SubMerchant(subMchID); ok && slices.Contains(sm.SubAppIDs, appid) {
		return
	}
	c.Rule(c.Name("appid"), "appid和mch_id不匹配", fmt.Sprintf("appid %s is not bound to merchant %s", appid, m.MchID), appid)
}

// plate checks a plate number and colour, named under prefix (a body's
// /parking_info, or "").
func plate(c *field.Check, prefix, number, color string) {
	numberName, colorName := c.Name(prefix+"plate_number"), c.Name(prefix+"plate_color")
	if c.Required(numberName, number != "") {
		c.Pattern(numberName, number, field.PlateNumber)
	}
	if c.Required(colorName, color != "") {
		c.Enum(colorName, color, plateColors...)
	}
}

// requiredTime checks a required RFC 3339 time.
func requiredTime(c *field.Check, name, v string) {
	if c.Required(name, v != "") {
		c.RFC3339(name, v)
	}
}

// checkPlateQuery checks the query of services/find.
func checkPlateQuery(q PlateQuery, m *store.Merchant) error {
	c := field.Query()
	c.RequiredString("appid", q.AppID, maxID)
	c.String("sub_mchid", q.SubMchID, maxID)
	plate(c, "", q.PlateNumber, q.PlateColor)
	c.RequiredString("openid", q.OpenID, maxOpenID)
	subMerchant(c, m, q.SubMchID)
	appID(c, m, q.SubMchID, q.AppID)
	return c.Err()
}

// checkCreateParking checks an entry's fields.
func checkCreateParking(req *CreateParkingRequest, m *store.Merchant) error {
	c := field.Body()
	c.String("/sub_mchid", req.SubMchID, maxID)
	if c.Required("/out_parking_no", req.OutParkingNo != "") {
		c.Pattern("/out_parking_no", req.OutParkingNo, field.OutParkingNo)
	}
	plate(c, "", req.PlateNumber, req.PlateColor)
	if c.Required("/notify_url", req.NotifyURL != "") {
		c.NotifyURL("/notify_url", req.NotifyURL)
	}
	requiredTime(c, "/start_time", req.StartTime)
	c.RequiredString("/parking_name", req.ParkingName, maxParkingName)
	if c.Required("/free_duration", req.FreeDuration != nil) {
		c.NotNegative("/free_duration", *req.FreeDuration)
	}
	subMerchant(c, m, req.SubMchID)
	return c.Err()
}

// checkCreateTransaction checks a deduction's own fields.
func checkCreateTransaction(req *CreateTransactionRequest, m *store.Merchant) error {
	c := field.Body()
	c.RequiredString("/appid", req.AppID, maxID)
	c.String("/sub_appid", req.SubAppID, maxID)
	c.String("/sub_mchid", req.SubMchID, maxID)
	c.RequiredString("/description", req.Description, maxDescription)
	c.String("/attach", req.Attach, maxDescription)
	if c.Required("/out_trade_no", req.OutTradeNo != "") {
		c.Pattern("/out_trade_no", req.OutTradeNo, field.OutTradeNo)
	}
	if c.Required("/trade_scene", req.TradeScene != "") {
		c.Enum("/trade_scene", req.TradeScene, TradeScenePARKING)
	}
	c.String("/goods_tag", req.GoodsTag, maxGoodsTag)
	if c.Required("/notify_url", req.NotifyURL != "") {
		c.NotifyURL("/notify_url", req.NotifyURL)
	}
	if req.ProfitSharing != "" {
		c.Enum("/profit_sharing", req.ProfitSharing, "Y", "N")
	}
	if c.Required("/amount", req.Amount != nil) {
		if c.Required("/amount/total", req.Amount.Total != nil) {
			c.Positive("/amount/total", *req.Amount.Total)
		}
		if req.Amount.Currency != "" {
			c.Enum("/amount/currency", req.Amount.Currency, "CNY")
		}
	}
	// parking_info is optional in the schema and required for PARKING, the
	// only scene.
	if c.Required("/parking_info", req.ParkingInfo != nil) {
		parkingInfo(c, req.ParkingInfo)
	}
	subMerchant(c, m, req.SubMchID)
	if !c.Failed() && !m.IsPartner() && req.SubAppID != "" {
		c.Rule("/sub_appid", "sub_appid仅服务商模式可用", "a direct merchant has no sub-merchants: leave sub_appid out", req.SubAppID)
	}
	return c.Err()
}

// parkingInfo checks a deduction's parking_info on its own.
func parkingInfo(c *field.Check, p *ParkingInfoRequest) {
	c.RequiredString("/parking_info/parking_id", p.ParkingID, maxID)
	plate(c, "parking_info/", p.PlateNumber, p.PlateColor)
	requiredTime(c, "/parking_info/start_time", p.StartTime)
	requiredTime(c, "/parking_info/end_time", p.EndTime)
	c.RequiredString("/parking_info/parking_name", p.ParkingName, maxParkingName)
	if c.Required("/parking_info/charging_duration", p.ChargingDuration != nil) {
		c.NotNegative("/parking_info/charging_duration", *p.ChargingDuration)
	}
	c.RequiredString("/parking_info/device_id", p.DeviceID, maxID)
}

// checkQueryTransaction checks the query of a deduction's query; its
// out_trade_no is the path's, checked by the HTTP layer.
func checkQueryTransaction(subMchID string, m *store.Merchant) error {
	c := field.Query()
	c.String("sub_mchid", subMchID, maxID)
	subMerchant(c, m, subMchID)
	return c.Err()
}
