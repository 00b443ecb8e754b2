package mock_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// parkingSnapshot is everything a rejected parking call must leave
// untouched: the deductions with their own timelines, the callbacks, and
// the user's plates with their open entries.
func (f *fixture) parkingSnapshot(openid string) string {
	f.t.Helper()
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.m.MchID})
	require.NoError(f.t, err)
	ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.m.MchID})
	require.NoError(f.t, err)
	u, err := f.srv.User(openid)
	require.NoError(f.t, err)
	raw, err := json.Marshal([]any{orders, f.ownTimelines(orders), ns, u})
	require.NoError(f.t, err)
	return string(raw)
}

// TestParkingBadInput walks the parking POST endpoints with every kind of
// bad input: each is answered with its documented code naming the field,
// and changes no state.
func TestParkingBadInput(t *testing.T) {
	f := newFixture(t)
	const openid, third = "oBadPark", "粤B555555"
	for _, p := range []string{testPlate, otherPlate, third} {
		f.setPlate(openid, p, "NORMAL")
	}
	used := f.enter("IN-USED", otherPlate)
	superseded := f.enter("IN-OLD", third)
	f.enter("IN-NEWER", third)
	open := f.enter("IN-BP", testPlate)
	f.advance(time.Hour)
	f.mustDeduct("BP-USED", used, 500)
	f.advance(time.Minute)

	entryWith := func(e parkingEntry) func(map[string]any) any {
		return func(b map[string]any) any {
			pi := f.deductBody("", e, 0)["parking_info"].(map[string]any)
			pi["end_time"] = b["parking_info"].(map[string]any)["end_time"]
			b["parking_info"] = pi
			return b
		}
	}
	refused := func(name string, edit func(map[string]any) any, status int, code, field string) badCase {
		return badCase{name, edit, status, code, field}
	}
	// mismatch names the entry other than it was created: 场景信息和停车入场id不匹配.
	mismatch := func(name, ptr string, v any, field string) badCase {
		c := set(name, ptr, v, field)
		c.code = "INVALID_REQUEST"
		return c
	}
	endpoints := []badEndpoint{
		{"create entry", "/v3/vehicle/parking/parkings", func() map[string]any {
			return deepCopy(f.entryBody("IN-NEW", "粤B444444", f.now().Add(-time.Minute)))
		}, append([]badCase{
			missing("/out_parking_no"), missing("/plate_number"), missing("/plate_color"), missing("/notify_url"),
			missing("/start_time"), missing("/parking_name"), missing("/free_duration"),
			wrongType("/free_duration", "3600"), wrongType("/plate_number", 1), wrongType("/start_time", 20261201090000),
			tooLong("/parking_name", 128),
			set("out_parking_no with a space", "/out_parking_no", "IN NEW", "/out_parking_no"),
			set("out_parking_no over 64 characters", "/out_parking_no", strings.Repeat("I", 65), "/out_parking_no"),
			set("plate without its province", "/plate_number", "B444444", "/plate_number"),
			set("plate in lower case", "/plate_number", "粤b444444", "/plate_number"),
			set("plate with a separator", "/plate_number", "粤B·44444", "/plate_number"),
			set("unknown plate colour", "/plate_color", "RED", "/plate_color"),
			set("14-digit start_time", "/start_time", "20261201090000", "/start_time"),
			set("start_time without an offset", "/start_time", "2026-12-01T09:00:00", "/start_time"),
			set("negative free_duration", "/free_duration", -1, "/free_duration"),
			set("notify_url with a query", "/notify_url", "https://example.com/n?x=1", "/notify_url"),
			set("sub_mchid from a direct merchant", "/sub_mchid", "1900000109", "/sub_mchid"),
			refused("an existing out_parking_no with other parameters", func(b map[string]any) any {
				b["out_parking_no"] = "IN-BP"
				return b
			}, 400, "INVALID_REQUEST", "/out_parking_no"),
		}, commonBadBodies...)},

		{"create transaction", "/v3/vehicle/transactions/parking", func() map[string]any {
			return deepCopy(f.deductBody("BP-NEW", open, 800))
		}, append([]badCase{
			missing("/appid"), missing("/description"), missing("/out_trade_no"), missing("/trade_scene"), missing("/notify_url"),
			missing("/amount"), missing("/amount/total"), missing("/parking_info"), missing("/parking_info/parking_id"),
			missing("/parking_info/plate_number"), missing("/parking_info/plate_color"), missing("/parking_info/start_time"),
			missing("/parking_info/end_time"), missing("/parking_info/parking_name"), missing("/parking_info/charging_duration"),
			missing("/parking_info/device_id"),
			wrongType("/amount/total", "800"), wrongType("/amount", 800), wrongType("/parking_info", "IN-BP"),
			wrongType("/parking_info/charging_duration", "3600"), wrongType("/description", 1),
			tooLong("/description", 128), tooLong("/attach", 128), tooLong("/goods_tag", 32), tooLong("/parking_info/device_id", 32),
			set("out_trade_no with a pipe", "/out_trade_no", "BP|NEW", "/out_trade_no"),
			set("out_trade_no over 32 characters", "/out_trade_no", strings.Repeat("B", 33), "/out_trade_no"),
			set("another trade_scene", "/trade_scene", "PARKING_SPACE", "/trade_scene"),
			set("a currency other than CNY", "/amount/currency", "USD", "/amount/currency"),
			set("profit_sharing other than Y or N", "/profit_sharing", "yes", "/profit_sharing"),
			set("zero total", "/amount/total", 0, "/amount/total"),
			set("negative total", "/amount/total", -800, "/amount/total"),
			set("negative charging_duration", "/parking_info/charging_duration", -1, "/parking_info/charging_duration"),
			set("14-digit end_time", "/parking_info/end_time", "20261201100000", "/parking_info/end_time"),
			set("bad plate in parking_info", "/parking_info/plate_number", "B888888", "/parking_info/plate_number"),
			set("notify_url not a URL", "/notify_url", "notify", "/notify_url"),
			set("sub_mchid from a direct merchant", "/sub_mchid", "1900000109", "/sub_mchid"),
			set("sub_appid from a direct merchant", "/sub_appid", "wxsub", "/sub_appid"),
			refused("an existing out_trade_no with other parameters", func(b map[string]any) any {
				b["out_trade_no"] = "BP-USED"
				return b
			}, 400, "INVALID_REQUEST", "/out_trade_no"),
			refused("an unknown parking_id: 停车入场id不存在", func(b map[string]any) any {
				setPath(b, "/parking_info/parking_id", "5K8264ILTKCH16CQ250", false)
				return b
			}, 400, "INVALID_REQUEST", "/parking_info/parking_id"),
			refused("a superseded entry: 停车入场id不存在", entryWith(superseded), 400, "INVALID_REQUEST", "/parking_info/parking_id"),
			refused("an entry already deducted: 场景信息和停车入场id不匹配", entryWith(used), 400, "INVALID_REQUEST", "/parking_info/parking_id"),
			mismatch("another plate than the entry's", "/parking_info/plate_number", otherPlate, "/parking_info/plate_number"),
			mismatch("another colour than the entry's", "/parking_info/plate_color", "GREEN", "/parking_info/plate_color"),
			mismatch("another car park than the entry's", "/parking_info/parking_name", "别的停车场", "/parking_info/parking_name"),
			mismatch("another start than the entry's", "/parking_info/start_time", protocol.FormatRFC3339(f.now().Add(-3*time.Hour)), "/parking_info/start_time"),
			set("end_time equal to start_time", "/parking_info/end_time", open.StartTime, "/parking_info/end_time"),
			set("end_time before start_time", "/parking_info/end_time", protocol.FormatRFC3339(f.now().Add(-5*time.Hour)), "/parking_info/end_time"),
			set("end_time after the call", "/parking_info/end_time", protocol.FormatRFC3339(f.now().Add(time.Hour)), "/parking_info/end_time"),
			refused("an appid not linked to the merchant: 当前商户无法扣款", func(b map[string]any) any {
				b["appid"] = "wx0000000000000000"
				return b
			}, 403, "NO_AUTH", "/appid"),
		}, commonBadBodies...)},
	}
	f.runBadBodies(endpoints, func() string { return f.parkingSnapshot(openid) })
}

// TestParkingBadInput_Queries covers the GET endpoints' query and path
// parameters.
func TestParkingBadInput_Queries(t *testing.T) {
	f := newFixture(t)
	const openid = "oBadQuery"
	f.setPlate(openid, testPlate, "NORMAL")
	find := func(drop string, kv ...string) string {
		q := url.Values{"appid": {f.appid()}, "openid": {openid}, "plate_number": {testPlate}, "plate_color": {"BLUE"}}
		q.Del(drop)
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return "/v3/vehicle/parking/services/find?" + q.Encode()
	}
	tests := []struct {
		name, uri string
		status    int
		code      string
		field     string
	}{
		{"find without appid", find("appid"), 400, "PARAM_ERROR", "appid"},
		{"find without openid", find("openid"), 400, "PARAM_ERROR", "openid"},
		{"find without plate_number", find("plate_number"), 400, "PARAM_ERROR", "plate_number"},
		{"find without plate_color", find("plate_color"), 400, "PARAM_ERROR", "plate_color"},
		{"find with a bad plate", find("", "plate_number", "粤b888888"), 400, "PARAM_ERROR", "plate_number"},
		{"find with an unknown colour", find("", "plate_color", "RED"), 400, "PARAM_ERROR", "plate_color"},
		{"find with an openid over 128 characters", find("", "openid", strings.Repeat("o", 129)), 400, "PARAM_ERROR", "openid"},
		{"find with an appid not the merchant's", find("", "appid", "wx0000000000000000"), 400, "PARAM_ERROR", "appid"},
		{"find with sub_mchid from a direct merchant", find("", "sub_mchid", "1900000109"), 400, "PARAM_ERROR", "sub_mchid"},
		{"query an unknown deduction", "/v3/vehicle/transactions/out-trade-no/NOPE", 404, "ORDER_NOT_EXIST", "out_trade_no"},
		{"query with out_trade_no too long", "/v3/vehicle/transactions/out-trade-no/" + strings.Repeat("T", 33), 400, "PARAM_ERROR", "out_trade_no"},
		{"query with a bad character in out_trade_no", "/v3/vehicle/transactions/out-trade-no/A%7CB", 400, "PARAM_ERROR", "out_trade_no"},
		{"query with sub_mchid from a direct merchant", "/v3/vehicle/transactions/out-trade-no/NOPE?sub_mchid=1900000109", 400, "PARAM_ERROR", "sub_mchid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			before := f.parkingSnapshot(openid)
			resp, raw := send(t, f.me.request(t, f.ts, "GET", tt.uri, nil))
			verifyResponse(t, f.srv.Platform(), resp, raw)
			require.Equal(t, tt.status, resp.StatusCode, string(raw))
			e := decodeError(t, raw)
			assert.Equal(t, tt.code, e.Code)
			require.NotNil(t, e.Detail, string(raw))
			assert.Equal(t, tt.field, e.Detail["field"], string(raw))
			assert.Equal(t, before, f.parkingSnapshot(openid))
		})
	}
}
