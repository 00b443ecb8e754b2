package field

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// violation is what a check reports, or nil.
func violation(t *testing.T, err error) *apierr.Error {
	t.Helper()
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	require.True(t, errors.As(err, &ae), "%v is an API error", err)
	require.NotNil(t, ae.Detail)
	return ae
}

func ptr(v int64) *int64 { return &v }

// Each rule of the vocabulary, passing and failing, with the field, the
// location and WeChat Pay's message it reports.
func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		check   func() *Check
		rule    func(c *Check)
		field   string // "" when the rule passes
		loc     string
		message string // a part of the message
	}{
		{"required present", Body, func(c *Check) { c.Required("/appid", true) }, "", "", ""},
		{"required absent", Body, func(c *Check) { c.Required("/appid", false) }, "/appid", apierr.LocBody, "输入源“/body/appid”映射到字段“appid”必填性规则校验失败"},
		{"required in a query", Query, func(c *Check) { c.Required("service_id", false) }, "service_id", apierr.LocQuery, "输入源“/query/service_id”"},
		{"20 Chinese characters", Body, func(c *Check) { c.String("/x", strings.Repeat("长", 20), 20) }, "", "", ""},
		{"21 characters", Body, func(c *Check) { c.String("/x", strings.Repeat("长", 21), 20) }, "/x", apierr.LocBody, "字符数 21，大于最大值 20"},
		{"emoji", Body, func(c *Check) { c.String("/x", "车🚕", 20) }, "/x", apierr.LocBody, "不支持4字节字符"},
		{"control character", Body, func(c *Check) { c.String("/x", "a\x01b", 20) }, "/x", apierr.LocBody, "包含控制字符"},
		{"invalid UTF-8", Body, func(c *Check) { c.String("/x", "\xff", 20) }, "/x", apierr.LocBody, "不是合法的UTF-8"},
		{"empty optional string", Body, func(c *Check) { c.String("/x", "", 20) }, "", "", ""},
		{"openid", Path, func(c *Check) { c.OpenID("openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") }, "", "", ""},
		{"openid of 128 characters", Body, func(c *Check) { c.OpenID("/openid", strings.Repeat("o", 128)) }, "", "", ""},
		{"openid of 129 characters", Body, func(c *Check) { c.OpenID("/openid", strings.Repeat("o", 129)) }, "/openid", apierr.LocBody, "字符数 129，大于最大值 128"},
		{"openid with NUL", Path, func(c *Check) { c.OpenID("openid", "o\x00x") }, "openid", apierr.LocPath, "格式规则校验失败"},
		{"openid with a newline", Query, func(c *Check) { c.OpenID("openid", "o\nx") }, "openid", apierr.LocQuery, "格式规则校验失败"},
		{"openid beyond ASCII", Body, func(c *Check) { c.OpenID("/openid", "用户") }, "/openid", apierr.LocBody, "格式规则校验失败"},
		{"80 bytes", Body, func(c *Check) { c.Bytes("/reason", strings.Repeat("a", 80), 80) }, "", "", ""},
		{"81 bytes in 27 characters", Body, func(c *Check) { c.Bytes("/reason", strings.Repeat("退", 27), 80) }, "/reason", apierr.LocBody, "字节数 81，大于最大值 80"},
		{"required string empty", Body, func(c *Check) { c.RequiredString("/x", "", 20) }, "/x", apierr.LocBody, "必填性规则校验失败"},
		{"required string too long", Body, func(c *Check) { c.RequiredString("/x", "abc", 2) }, "/x", apierr.LocBody, "字符数 3"},
		{"pattern matches", Body, func(c *Check) { c.Pattern("/out_order_no", "A-1|*_b", OutOrderNo) }, "", "", ""},
		{"pattern misses", Body, func(c *Check) { c.Pattern("/out_order_no", "A 1", OutOrderNo) }, "/out_order_no", apierr.LocBody, "格式规则校验失败"},
		{"pattern of an empty value", Body, func(c *Check) { c.Pattern("/out_order_no", "", OutOrderNo) }, "/out_order_no", apierr.LocBody, "格式规则校验失败"},
		{"enum allowed", Body, func(c *Check) { c.Enum("/type", "Order_Paid", "Order_Paid") }, "", "", ""},
		{"enum refused", Body, func(c *Check) { c.Enum("/type", "Paid", "Order_Paid") }, "/type", apierr.LocBody, "枚举值规则校验失败"},
		{"range inside", Body, func(c *Check) { c.Range("/count", 100, 1, 100) }, "", "", ""},
		{"range below", Body, func(c *Check) { c.Range("/count", 0, 1, 100) }, "/count", apierr.LocBody, "取值范围为 1 至 100"},
		{"zero is not negative", Body, func(c *Check) { c.NotNegative("/amount", 0) }, "", "", ""},
		{"negative", Body, func(c *Check) { c.NotNegative("/amount", -1) }, "/amount", apierr.LocBody, "不能小于0"},
		{"zero is not positive", Body, func(c *Check) { c.Positive("/risk_amount", 0) }, "/risk_amount", apierr.LocBody, "需大于0"},
		{"items at the maximum", Body, func(c *Check) { c.Items("/post_discounts", 5, 5) }, "", "", ""},
		{"items over the maximum", Body, func(c *Check) { c.Items("/post_discounts", 6, 5) }, "/post_discounts", apierr.LocBody, "元素个数 6，大于最大值 5"},
		{"business rule", Query, func(c *Check) { c.Rule("query_id", "不能同时填写", "one of them", "x") }, "query_id", apierr.LocQuery, "不能同时填写"},
		{"first violation only", Body, func(c *Check) {
			c.Required("/a", false)
			c.Required("/b", false)
		}, "/a", apierr.LocBody, "“a”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check()
			tt.rule(c)
			ae := violation(t, c.Err())
			if tt.field == "" {
				assert.Nil(t, ae)
				assert.False(t, c.Failed())
				return
			}
			require.NotNil(t, ae)
			assert.True(t, c.Failed())
			assert.Equal(t, apierr.ParamError, ae.Code)
			assert.Equal(t, tt.field, ae.Detail.Field)
			assert.Equal(t, tt.loc, ae.Detail.Location)
			assert.Contains(t, ae.Message, tt.message)
			assert.NotEmpty(t, ae.Detail.Issue)
		})
	}
}

func TestCheck_NamesAndRefusals(t *testing.T) {
	assert.Equal(t, "/appid", Body().Name("appid"))
	assert.Equal(t, "appid", Query().Name("appid"))
	assert.Equal(t, "appid", Path().Name("appid"))
	assert.Equal(t, "/post_payments/3", Item("/post_payments", 3))

	var none error = Body().Err()
	assert.NoError(t, none, "no violation is a nil error, not a typed nil")

	c := Body()
	c.Refuse(apierr.New(apierr.NoAuth, "商户暂无权限使用此服务"))
	c.Required("/appid", false)
	var ae *apierr.Error
	require.True(t, errors.As(c.Err(), &ae))
	assert.Equal(t, apierr.NoAuth, ae.Code, "the first answer stands")
}

func TestPatterns(t *testing.T) {
	tests := []struct {
		name string
		p    Pattern
		v    string
		ok   bool
	}{
		{"out_order_no", OutOrderNo, "RIDE-1|a*b_c", true},
		{"out_order_no of 32", OutOrderNo, strings.Repeat("A", 32), true},
		{"out_order_no of 33", OutOrderNo, strings.Repeat("A", 33), false},
		{"out_order_no with @", OutOrderNo, "A@B", false},
		{"out_order_no with +", OutOrderNo, "A+B", false},
		{"authorization_code", AuthorizationCode, "AUTH_1-*", true},
		{"authorization_code with a pipe", AuthorizationCode, "A|B", false},
		{"out_refund_no with @", OutRefundNo, "R@1|2", true},
		{"out_refund_no of 65", OutRefundNo, strings.Repeat("R", 65), false},
		{"mchid", MchID, "1230000109", true},
		{"mchid with a letter", MchID, "12300001a9", false},
		{"service_id", ConfigID, "500001", true},
		{"appid with a dot", ConfigID, "wx.1", false},
		{"out_trade_no", OutTradeNo, "PK_1-*", true},
		{"out_trade_no with a pipe", OutTradeNo, "PK|1", false},
		{"out_trade_no of 33", OutTradeNo, strings.Repeat("T", 33), false},
		{"out_parking_no of 64", OutParkingNo, strings.Repeat("I", 64), true},
		{"out_parking_no with a space", OutParkingNo, "IN 1", false},
		{"plate", PlateNumber, "粤B888888", true},
		{"new-energy plate", PlateNumber, "粤BD12345", true},
		{"learner plate", PlateNumber, "京A1234学", true},
		{"plate without its province", PlateNumber, "B888888", false},
		{"plate in lower case", PlateNumber, "粤b888888", false},
		{"plate with a separator", PlateNumber, "粤B·88888", false},
		{"plate too long", PlateNumber, "粤B1234567", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.ok, tt.p.Match(tt.v))
		})
	}
}

func TestSegment(t *testing.T) {
	require.NoError(t, Segment("out_order_no", "RIDE-1", OutOrderNo))
	ae := violation(t, Segment("out_order_no", "A+B", OutOrderNo))
	require.NotNil(t, ae)
	assert.Equal(t, apierr.LocPath, ae.Detail.Location)
	assert.Equal(t, "out_order_no", ae.Detail.Field)
	assert.Equal(t, "输入源“/path/out_order_no”映射到字段“out_order_no”格式规则校验失败", ae.Message)
}

func TestNotifyURL(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("n", MaxNotifyURL-len("https://example.com/"))
	tests := []struct {
		name    string
		url     string
		message string // "" when accepted
	}{
		{"absent", "", ""},
		{"https", "https://example.com/notify", ""},
		{"http, for local receivers", "http://127.0.0.1:9000/notify", ""},
		{"255 characters", long, ""},
		{"256 characters", long + "n", "字符数 256，大于最大值 255"},
		{"a query string", "https://example.com/notify?env=test", "notify_url不能携带参数"},
		{"an empty query", "https://example.com/notify?", "notify_url不能携带参数"},
		{"a fragment", "https://example.com/notify#x", "notify_url不能携带参数"},
		{"relative", "/notify", "notify_url格式不正确"},
		{"not a URL", "notify", "notify_url格式不正确"},
		{"another scheme", "ftp://example.com/notify", "has the scheme ftp://, which is refused"},
		{"a file", "file:///etc/passwd", "has the scheme file://, which is refused"},
		{"no scheme", "//example.com/notify", "must be an absolute https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Body()
			c.NotifyURL("/notify_url", tt.url)
			ae := violation(t, c.Err())
			if tt.message == "" {
				assert.Nil(t, ae)
				return
			}
			require.NotNil(t, ae)
			assert.Equal(t, "/notify_url", ae.Detail.Field)
			assert.Contains(t, ae.Message+" "+ae.Detail.Issue, tt.message)
		})
	}
}

func TestSum(t *testing.T) {
	type item struct{ amount *int64 }
	amount := func(i item) *int64 { return i.amount }
	tests := []struct {
		name     string
		items    []item
		want     int64
		overflow bool
	}{
		{"none", nil, 0, false},
		{"absent amounts count as 0", []item{{ptr(100)}, {nil}, {ptr(50)}}, 150, false},
		{"up to the maximum", []item{{ptr(math.MaxInt64 - 1)}, {ptr(1)}}, math.MaxInt64, false},
		{"three maximal amounts", []item{{ptr(math.MaxInt64)}, {ptr(math.MaxInt64)}, {ptr(math.MaxInt64)}}, 0, true},
		{"one over", []item{{ptr(math.MaxInt64)}, {ptr(1)}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Body()
			got := Sum(c, "/post_payments", tt.items, amount)
			ae := violation(t, c.Err())
			if !tt.overflow {
				assert.Nil(t, ae)
				assert.Equal(t, tt.want, got)
				return
			}
			require.NotNil(t, ae)
			assert.Equal(t, "/post_payments", ae.Detail.Field)
			assert.Contains(t, ae.Message, "金额之和超出范围")
		})
	}
	_, ok := Add(math.MinInt64, -1)
	assert.False(t, ok, "underflow is refused too")
}

func TestRFC3339(t *testing.T) {
	tests := []struct {
		name, v string
		want    time.Time
		ok      bool
	}{
		{"Beijing time", "2026-12-01T09:00:00+08:00", time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), true},
		{"UTC, as wechatpay-go writes a UTC time", "2026-12-01T01:00:00Z", time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), true},
		{"fractional seconds", "2026-12-01T09:00:00.5+08:00", time.Date(2026, 12, 1, 1, 0, 0, 5e8, time.UTC), true},
		{"14 digits", "20261201090000", time.Time{}, false},
		{"no offset", "2026-12-01T09:00:00", time.Time{}, false},
		{"no such day", "2026-02-30T09:00:00+08:00", time.Time{}, false},
		{"longer than 32", "2026-12-01T09:00:00.000000000000+08:00", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Body()
			got, ok := c.RFC3339("/start_time", tt.v)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.ok, !c.Failed())
			if tt.ok {
				assert.True(t, tt.want.Equal(got), "%s", got)
				return
			}
			ae := violation(t, c.Err())
			require.NotNil(t, ae)
			assert.Equal(t, "/start_time", ae.Detail.Field)
		})
	}
	c := Body()
	_, ok := c.RFC3339("/start_time", "")
	assert.False(t, ok)
	assert.False(t, c.Failed(), "an absent time is Required's business")
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name     string
		v        string
		onAccept bool
		want     ServiceTime
		ok       bool
	}{
		{"14 digits", "20261201090000", false, ServiceTime{At: time.Date(2026, 12, 1, 9, 0, 0, 0, protocol.Beijing)}, true},
		{"8 digits", "20261201", false, ServiceTime{At: time.Date(2026, 12, 1, 0, 0, 0, 0, protocol.Beijing), DateOnly: true}, true},
		{"OnAccept where allowed", OnAccept, true, ServiceTime{OnAccept: true}, true},
		{"OnAccept elsewhere", OnAccept, false, ServiceTime{}, false},
		{"no such month", "20261301090000", false, ServiceTime{}, false},
		{"10 digits", "2026120109", false, ServiceTime{}, false},
		{"separators", "2026-12-01", false, ServiceTime{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Body()
			got, ok := c.ParseTime("/time_range/start_time", tt.v, tt.onAccept)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.ok, !c.Failed())
			if tt.ok {
				assert.True(t, tt.want.At.Equal(got.At))
				assert.Equal(t, tt.want.DateOnly, got.DateOnly)
				assert.Equal(t, tt.want.OnAccept, got.OnAccept)
				assert.Equal(t, tt.v, got.String())
			}
		})
	}
}

// The comparisons work at the time's own precision: a date is its whole day.
func TestServiceTime_Comparisons(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, protocol.Beijing)
	at := func(v string) ServiceTime {
		c := Body()
		st, ok := c.ParseTime("/t", v, false)
		require.True(t, ok, v)
		return st
	}
	tests := []struct {
		name    string
		t       ServiceTime
		later   bool // than now
		earlier bool // than now
	}{
		{"a second later", at("20261201090001"), true, false},
		{"a second earlier", at("20261201085959"), false, true},
		{"now", at("20261201090000"), false, false},
		{"today", at("20261201"), false, false},
		{"tomorrow", at("20261202"), true, false},
		{"yesterday", at("20261130"), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.later, tt.t.Later(now))
			assert.Equal(t, tt.earlier, tt.t.Earlier(now))
		})
	}
	follows := []struct {
		name       string
		end, start ServiceTime
		want       bool
	}{
		{"a second after", at("20261201090001"), at("20261201090000"), true},
		{"the same second", at("20261201090000"), at("20261201090000"), false},
		{"the same day", at("20261201"), at("20261201"), true},
		{"a day before", at("20261130"), at("20261201"), false},
		{"a date on a precise start's day", at("20261201"), Instant(now), true},
		{"a precise end on a date's day", at("20261201000000"), at("20261201"), true},
	}
	for _, tt := range follows {
		t.Run("follows/"+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.end.Follows(tt.start))
			c := Body()
			c.After("/time_range/end_time", tt.end.String(), tt.end, tt.start, "真实结束时间小于预计开始时间")
			assert.Equal(t, !tt.want, c.Failed())
		})
	}
}

func TestTimeRules(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, protocol.Beijing)
	tests := []struct {
		name  string
		rule  func(c *Check)
		fails bool
	}{
		{"an end before the call", func(c *Check) {
			c.NotLater("/end", "20261201085900", ServiceTime{At: now.Add(-time.Minute)}, now, "m")
		}, false},
		{"an end after the call", func(c *Check) {
			c.NotLater("/end", "20261201090100", ServiceTime{At: now.Add(time.Minute)}, now, "m")
		}, true},
		{"an end later today, as a date", func(c *Check) {
			c.NotLater("/end", "20261201", ServiceTime{At: Day(now), DateOnly: true}, now, "m")
		}, false},
		{"two dates", func(c *Check) {
			c.SameFormat("/end", "20261201", ServiceTime{DateOnly: true}, ServiceTime{DateOnly: true})
		}, false},
		{"a date after seconds", func(c *Check) {
			c.SameFormat("/end", "20261201", ServiceTime{DateOnly: true}, ServiceTime{OnAccept: true})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Body()
			tt.rule(c)
			assert.Equal(t, tt.fails, c.Failed())
			if ae := violation(t, c.Err()); ae != nil {
				assert.Equal(t, "/end", ae.Detail.Field)
			}
		})
	}
}

type decodeTarget struct {
	OutOrderNo      string `json:"out_order_no"`
	NeedUserConfirm *bool  `json:"need_user_confirm"`
	TimeRange       *struct {
		StartTime string `json:"start_time"`
	} `json:"time_range"`
	RiskFund *struct {
		Amount *int64 `json:"amount"`
	} `json:"risk_fund"`
	PostPayments []struct {
		Name   string `json:"name"`
		Amount *int64 `json:"amount"`
	} `json:"post_payments"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		field string
		want  string // the JSON type the message names
	}{
		{"empty", "", "", ""},
		{"spaces", "  \n", "", ""},
		{"truncated", `{"appid":`, "", ""},
		{"not an object", `"text"`, "", ""},
		{"string for number", `{"risk_fund":{"amount":"100"}}`, "/risk_fund/amount", "number"},
		{"fraction for an integer", `{"post_payments":[{"name":"a","amount":1},{"name":"b","amount":2.5}]}`, "/post_payments/1/amount", "number"},
		{"object for an array", `{"post_payments":{"name":"a"}}`, "/post_payments", "array"},
		{"array for an object", `{"time_range":[]}`, "/time_range", "object"},
		{"string for a boolean", `{"need_user_confirm":"false"}`, "/need_user_confirm", "boolean"},
		{"number for a string", `{"out_order_no":123}`, "/out_order_no", "string"},
		{"nested array element", `{"post_payments":[{"name":"a"},{"name":"b"},{"name":7}]}`, "/post_payments/2/name", "string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v decodeTarget
			ae := violation(t, Decode([]byte(tt.body), &v))
			require.NotNil(t, ae)
			assert.Equal(t, apierr.ParamError, ae.Code)
			assert.Equal(t, tt.field, ae.Detail.Field)
			assert.Equal(t, apierr.LocBody, ae.Detail.Location)
			if tt.want != "" {
				assert.Contains(t, ae.Message, "类型校验失败，应为"+tt.want)
			}
		})
	}
	var v decodeTarget
	require.NoError(t, Decode([]byte(`{"out_order_no":"A","extra":"ignored like WeChat Pay ignores it"}`), &v))
	assert.Equal(t, "A", v.OutOrderNo)
}
