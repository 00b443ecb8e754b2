package scenario_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock/scenario"
)

func TestDecode_Valid(t *testing.T) {
	src := `# a comment
name: every-effect
description: one of each
match:
  mchid: 1230000109
  out_order_no: "RIDE-*"
  event_type: PAYSCORE.USER_PAID
  times: 2
callback:
  delay: 90s
  duplicate: 1
  forge: [probe, stale_timestamp]
---
{"name": "json-too", "description": "JSON is YAML", "api": {"status": 429}}
---
name: parking-advance
description: the parking deduction is held, then paid by an advance the user repays
deduction:
  delay: 30m
  advance: true
  repay_after: 2h
`
	ss, err := vocab.Decode("x.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, ss, 3)
	d := ss[2].Deduction
	assert.Equal(t, 30*time.Minute, d.Delay.D())
	assert.True(t, d.Advance)
	assert.Equal(t, 2*time.Hour, d.RepayAfter.D())
	s := ss[0]
	assert.Equal(t, "1230000109", s.Match.MchID, "an unquoted number is read as text")
	assert.Equal(t, scenario.Glob("RIDE-*"), s.Match.OutOrderNo)
	assert.True(t, s.Match.OutOrderNo.Matches("RIDE-7"))
	assert.False(t, s.Match.OutOrderNo.Matches("TRIP-7"))
	assert.Equal(t, 90*time.Second, s.Callback.Delay.D())
	assert.Equal(t, []scenario.Forge{"probe", "stale_timestamp"}, s.Callback.Forge)
	assert.Equal(t, 429, ss[1].API.Status)
}

// TestDecode_Malformed: a bad scenario is refused with the file, the line
// and the field, and nothing is loaded.
func TestDecode_Malformed(t *testing.T) {
	base := "name: bad\ndescription: d\n"
	tests := []struct {
		name  string
		src   string
		line  int
		field string
		issue string
	}{
		{"unknown top-level key", base + "colour: red\n", 3, "colour", "unknown key"},
		{"unknown nested key", base + "callback:\n  dely: 5s\n", 4, "callback.dely", "unknown key"},
		{"bad duration", base + "callback:\n  delay: soon\n", 4, "callback.delay", "not a duration"},
		{"negative duration", base + "deduction:\n  fail_attempts: 1\n  retry_after: -5m\n", 5, "deduction.retry_after", "not a duration"},
		{"status not a number", base + "api:\n  status: five hundred\n", 4, "api.status", "not a whole number"},
		{"status out of range", base + "api:\n  status: 200\n", 4, "api.status", "not an error status"},
		{"status without a code", base + "api:\n  status: 418\n", 4, "api.code", "is required"},
		{"unknown endpoint", base + "match:\n  endpoint: serviceorder.destroy\napi:\n  status: 500\n", 4, "match.endpoint", "not a known endpoint"},
		{"unknown event type", base + "match:\n  event_type: PAYSCORE.USER_GONE\ncallback:\n  drop: true\n", 4, "match.event_type", "not a known event type"},
		{"unknown forgery", base + "callback:\n  forge: [probe, garbled]\n", 4, "callback.forge[1]", "not a known forgery"},
		{"bad glob", base + "match:\n  out_order_no: \"[\"\ncallback:\n  drop: true\n", 4, "match.out_order_no", "not a valid pattern"},
		{"bool as text", base + "callback:\n  drop: \"yes\"\n", 4, "callback.drop", "not true or false"},
		{"list where a value goes", base + "match:\n  mchid: [1, 2]\ncallback:\n  drop: true\n", 4, "match.mchid", "text value"},
		{"duplicate key", base + "refund:\n  outcome: ABNORMAL\n  outcome: CLOSED\n", 5, "refund.outcome", "appears twice"},
		{"bad refund outcome", base + "refund:\n  outcome: LOST\n", 4, "refund.outcome", "ABNORMAL or CLOSED"},
		{"no name", "description: d\ncallback:\n  drop: true\n", 1, "name", "is required"},
		{"bad name", "name: Bad Name\ndescription: d\ncallback:\n  drop: true\n", 1, "name", "lower-case"},
		{"no description", "name: x\ncallback:\n  drop: true\n", 1, "description", "is required"},
		{"no effect", base, 1, "name", "no effect"},
		{"empty effect", base + "callback: {}\n", 3, "callback", "does nothing"},
		{"probability above 1", base + "match:\n  probability: 1.5\ncallback:\n  drop: true\n", 4, "match.probability", "between 0 and 1"},
		{"nth and times", base + "match:\n  nth: 1\n  times: 2\ncallback:\n  drop: true\n", 5, "match.times", "not both"},
		{"event_type without callback", base + "match:\n  event_type: REFUND.SUCCESS\ndeduction:\n  fail: true\n", 4, "match.event_type", "callback effects only"},
		{"drop with delay", base + "callback:\n  drop: true\n  delay: 1m\n", 4, "callback.drop", "cannot also"},
		{"never and confirm_after", base + "user:\n  never_confirm: true\n  confirm_after: 1m\n", 4, "user.never_confirm", "cannot go with"},
		{"user with times", base + "match:\n  times: 1\nuser:\n  never_confirm: true\n", 4, "match", "user behaviour applies"},
		{"YAML syntax", base + "api:\n  status: [500\n", 3, "", "did not find"},
		{"empty file", "", 1, "", "no scenario"},
		{"same name twice", base + "api:\n  status: 500\n---\n" + base + "api:\n  status: 500\n", 1, "name", "two scenarios"},
		{"alias", "name: &n bad\ndescription: *n\napi:\n  status: 500\n", 2, "description", "aliases"},
		{"retry without a failure", base + "deduction:\n  delay: 5m\n  retry_after: 5m\n", 5, "deduction.retry_after", "give fail_attempts"},
		{"advance and fail", base + "deduction:\n  fail: true\n  advance: true\n", 5, "deduction.advance", "cannot go with fail"},
		{"repay without an advance", base + "deduction:\n  delay: 5m\n  repay_after: 1h\n", 5, "deduction.repay_after", "give advance"},
		{"bad delay", base + "deduction:\n  delay: later\n", 4, "deduction.delay", "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss, err := vocab.Decode("scenarios/bad.yaml", []byte(tt.src))
			require.Error(t, err)
			assert.Nil(t, ss, "nothing half-loads")
			var se *scenario.Error
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, "scenarios/bad.yaml", se.File)
			assert.Equal(t, tt.line, se.Line, err.Error())
			assert.Equal(t, tt.field, se.Field, err.Error())
			assert.Contains(t, se.Issue, tt.issue)
			assert.True(t, strings.HasPrefix(err.Error(), "scenarios/bad.yaml:"), err.Error())
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("name: a\ndescription: b\ncallback:\n  delay: 5s\n")
	f.Add("name: a\ndescription: b\nmatch: {endpoint: serviceorder.create, nth: 2}\napi: {status: 500}\n")
	f.Add("{\"name\":\"a\",\"description\":\"b\",\"refund\":{\"outcome\":\"CLOSED\"}}")
	f.Add("name: a\ndescription: b\n---\nname: a\n")
	f.Add("- [ :")
	f.Add("name: &x y\ndescription: *x\n")
	f.Fuzz(func(t *testing.T, src string) {
		ss, err := vocab.Decode("fuzz.yaml", []byte(src))
		if err != nil {
			var se *scenario.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *scenario.Error", err)
			}
			if ss != nil {
				t.Fatal("scenarios returned with an error")
			}
			return
		}
		for _, s := range ss {
			if s.Name == "" || s.Description == "" {
				t.Fatalf("accepted a scenario without name or description: %q", src)
			}
		}
	})
}

func load(t *testing.T, e *scenario.Engine, src string, scope scenario.Scope) []scenario.Info {
	t.Helper()
	infos, err := e.Load("t.yaml", []byte(src), scope)
	require.NoError(t, err)
	return infos
}

func TestEngine_Matching(t *testing.T) {
	e := scenario.NewEngine(vocab)
	assert.True(t, e.Empty())
	api, _ := e.API(scenario.Subject{Endpoint: "serviceorder.create"})
	assert.Nil(t, api)

	load(t, e, "name: second-create\ndescription: d\nmatch: {endpoint: serviceorder.create, nth: 2}\napi: {status: 500}\n", scenario.Scope{MchID: "1"})
	load(t, e, "name: paid-late\ndescription: d\nmatch: {event_type: PAYSCORE.USER_PAID, out_order_no: \"R-*\"}\ncallback: {delay: 1m}\n", scenario.Scope{})
	load(t, e, "name: twice\ndescription: d\nmatch: {times: 2}\ndeduction: {fail: true}\n", scenario.Scope{OpenID: "o1"})
	assert.False(t, e.Empty())

	create := scenario.Subject{MchID: "1", Endpoint: "serviceorder.create"}
	var got []bool
	for range 4 {
		fx, _ := e.API(create)
		got = append(got, fx != nil)
	}
	assert.Equal(t, []bool{false, true, false, false}, got, "nth 2: only the second matching call")
	fx, _ := e.API(scenario.Subject{MchID: "2", Endpoint: "serviceorder.create"})
	assert.Nil(t, fx, "scoped to merchant 1")
	fx, applied := func() (*scenario.API, scenario.Applied) {
		e2 := scenario.NewEngine(vocab)
		load(t, e2, "name: any\ndescription: d\napi: {status: 503}\n", scenario.Scope{})
		return e2.API(scenario.Subject{Endpoint: "refund.query"})
	}()
	require.NotNil(t, fx)
	assert.Equal(t, "SERVICE_UNAVAILABLE", fx.Code, "a status alone gets its usual code")
	assert.Equal(t, "scenario any (sc-1)", applied.String())

	cb, _ := e.Callback(scenario.Subject{EventType: "PAYSCORE.USER_PAID", OutOrderNo: "R-1"})
	require.NotNil(t, cb)
	assert.Equal(t, time.Minute, cb.Delay.D())
	cb, _ = e.Callback(scenario.Subject{EventType: "PAYSCORE.USER_CONFIRM", OutOrderNo: "R-1"})
	assert.Nil(t, cb)
	cb, _ = e.Callback(scenario.Subject{EventType: "PAYSCORE.USER_PAID", OutOrderNo: "T-1"})
	assert.Nil(t, cb)

	var fails []bool
	for range 3 {
		d, _ := e.Deduction(scenario.Subject{OpenID: "o1"})
		fails = append(fails, d != nil)
	}
	assert.Equal(t, []bool{true, true, false}, fails, "times 2")
	d, _ := e.Deduction(scenario.Subject{OpenID: "o2"})
	assert.Nil(t, d, "the scope's openid")

	list := e.List()
	require.Len(t, list, 3)
	assert.Equal(t, 1, list[0].Applied)
	assert.Equal(t, 2, list[2].Applied)
	assert.Equal(t, []string{"deduction"}, list[2].Effects)
	assert.True(t, e.Unload(list[0].ID))
	assert.False(t, e.Unload(list[0].ID))
	assert.Len(t, e.List(), 2)
	e.Reset()
	assert.True(t, e.Empty())
}

// A probability with a seed decides the same way on every run.
func TestEngine_ProbabilityIsDeterministic(t *testing.T) {
	draw := func() []bool {
		e := scenario.NewEngine(vocab)
		load(t, e, "name: coin\ndescription: d\nmatch: {probability: 0.5, seed: 7}\nrefund: {outcome: CLOSED}\n", scenario.Scope{})
		var out []bool
		for range 40 {
			r, _ := e.Refund(scenario.Subject{})
			out = append(out, r != nil)
		}
		return out
	}
	first := draw()
	assert.Equal(t, first, draw())
	hits := 0
	for _, b := range first {
		if b {
			hits++
		}
	}
	assert.True(t, hits > 5 && hits < 35, "about half: %d of 40", hits)
}

func TestEngine_RiskRejectedRefusesCreates(t *testing.T) {
	e := scenario.NewEngine(vocab)
	load(t, e, "name: risk\ndescription: d\nuser: {risk_rejected: true}\n", scenario.Scope{})
	fx, _ := e.API(scenario.Subject{Endpoint: "payafter.create"})
	require.NotNil(t, fx)
	assert.Equal(t, "INVALID_REQUEST", fx.Code)
	assert.Equal(t, "综合评估未通过", fx.Message)
	fx, _ = e.API(scenario.Subject{Endpoint: "serviceorder.query"})
	assert.Nil(t, fx, "only creates are refused")
	u, _ := e.User(scenario.Subject{})
	assert.Nil(t, u, "risk alone is no other user behaviour")
}

// A user who fails the assessment blocks the parking entries created for
// them, unless the scenario is scoped to an endpoint, whose calls it
// refuses instead.
func TestEngine_RiskRejectedBlocksEntries(t *testing.T) {
	e := scenario.NewEngine(vocab)
	load(t, e, "name: risk\ndescription: d\nmatch: {openid: oRisky}\nuser: {risk_rejected: true}\n", scenario.Scope{})
	load(t, e, "name: scoped\ndescription: d\nmatch: {endpoint: serviceorder.create}\nuser: {risk_rejected: true}\n", scenario.Scope{})
	applied, ok := e.RiskRejected(scenario.Subject{OpenID: "oRisky"})
	assert.True(t, ok)
	assert.Equal(t, "risk", applied.Name)
	_, ok = e.RiskRejected(scenario.Subject{OpenID: "oOther"})
	assert.False(t, ok, "the endpoint-scoped scenario blocks no entry")
	var none *scenario.Engine
	_, ok = none.RiskRejected(scenario.Subject{})
	assert.False(t, ok, "no engine, no scenario")
}

func TestEngine_LoadFSAllOrNothing(t *testing.T) {
	e := scenario.NewEngine(vocab)
	_, err := e.LoadFS(fstest.MapFS{
		"a.yaml": {Data: []byte("name: a\ndescription: d\ncallback: {drop: true}\n")},
		"b.yaml": {Data: []byte("name: b\ndescription: d\ncallback: {drop: maybe}\n")},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b.yaml:3: callback.drop")
	assert.True(t, e.Empty(), "a bad file loads nothing, not even the good one")
	infos, err := e.LoadFS(fstest.MapFS{"a.yaml": {Data: []byte("name: a\ndescription: d\ncallback: {drop: true}\n")}, "notes.txt": {Data: []byte("x")}})
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "a.yaml", infos[0].File)
}

// vocab is a vocabulary like the mock's: the tests name its endpoints and
// callbacks, and the mock's own is tested against its endpoint table.
var vocab = scenario.Vocabulary{
	Endpoints:  []string{"certificates", "serviceorder.create", "serviceorder.direct_complete", "serviceorder.complete", "payafter.create", "refund.query"},
	Creates:    []string{"serviceorder.create", "serviceorder.direct_complete", "payafter.create"},
	EventTypes: []string{"PAYSCORE.USER_CONFIRM", "PAYSCORE.USER_PAID", "REFUND.SUCCESS"},
}
