package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mockpay/mockpay/client/sandbox"
)

func TestMatchText(t *testing.T) {
	tests := []struct {
		name string
		m    sandbox.ScenarioMatch
		want string
	}{
		{"everything", sandbox.ScenarioMatch{}, "any"},
		{"scoped", sandbox.ScenarioMatch{MchID: "1230000109", OutOrderNo: "RIDE-*"}, "mchid=1230000109 out_order_no=RIDE-*"},
		{"a call, once", sandbox.ScenarioMatch{Endpoint: "serviceorder.complete", Nth: 2}, "endpoint=serviceorder.complete nth=2"},
		{"a callback, by chance", sandbox.ScenarioMatch{EventType: "PAYSCORE.USER_PAID", Times: 3, Probability: 0.5, Seed: 7}, "event_type=PAYSCORE.USER_PAID times=3 probability=0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, matchText(tt.m))
		})
	}
}
