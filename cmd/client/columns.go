package main

import (
	"strconv"
	"strings"

	"github.com/mockpay/mockpay/client/sandbox"
)

// collectionText is an order's collection for a table: its state and what
// was paid of the total, in fen ("USER_PAYING 0/4200"), or "-" for an order
// without one (not completed yet, or a legacy payafter order).
func collectionText(o *sandbox.Order) string {
	if o.ServiceOrder == nil || o.ServiceOrder.Collection == nil || o.ServiceOrder.Collection.State == "" {
		return "-"
	}
	c := o.ServiceOrder.Collection
	return string(c.State) + " " + strconv.FormatInt(c.PaidAmount, 10) + "/" + strconv.FormatInt(c.TotalAmount, 10)
}

// matchText is what a scenario applies to, for a table: its match fields
// as key=value, or "any" when it matches everything.
func matchText(m sandbox.ScenarioMatch) string {
	var parts []string
	add := func(key, value string) {
		if value != "" && value != "0" {
			parts = append(parts, key+"="+value)
		}
	}
	add("mchid", m.MchID)
	add("openid", m.OpenID)
	add("out_order_no", m.OutOrderNo)
	add("service_id", m.ServiceID)
	add("endpoint", m.Endpoint)
	add("event_type", m.EventType)
	add("nth", strconv.Itoa(m.Nth))
	add("times", strconv.Itoa(m.Times))
	if m.Probability != 0 {
		add("probability", strconv.FormatFloat(m.Probability, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " ")
}
