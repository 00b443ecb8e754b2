package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mockpay/mockpay/client/sandbox"
)

// reScenario is how the sandbox names a scenario that acted, on an order's
// timeline and on a callback: "scenario deduct-failure (sc-1)".
var reScenario = regexp.MustCompile(`scenario (\S+) \((sc-\d+)\)`)

// explain adds to err, a callback that did not come from the mock, what
// the sandbox knows of why: the scenarios that acted on the flow's order
// (its timeline and its callbacks name them) or, failing that, the loaded
// scenarios that applied to the flow's merchant; and where to look.
func (f *flowRun) explain(ctx context.Context, err error) error {
	if f.sb == nil {
		return err
	}
	look := fmt.Sprintf("'go run ./cmd/client sandbox order %s --mchid %s' shows what happened to the order", f.order, f.mchID)
	if f.order == "" { // no order yet: the user's side
		look = fmt.Sprintf("'go run ./cmd/client sandbox notifications --mchid %s' shows the callbacks", f.mchID)
	}
	why := f.scenariosThatActed(ctx)
	if len(why) == 0 {
		return &hintError{err: err, hint: look}
	}
	return &hintError{err: err, hint: strings.Join(why, "; ") + "; " + look}
}

// scenariosThatActed describes the scenarios that acted on the flow's
// order, else those loaded for its merchant that took effect, each with
// what it does. The sandbox is asked in passing: what it cannot answer is
// left out.
func (f *flowRun) scenariosThatActed(ctx context.Context) []string {
	loaded, err := f.sb.ListScenarios(ctx)
	if err != nil || len(loaded) == 0 {
		return nil
	}
	ids := map[string]bool{}
	if o, err := f.sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: f.mchID, SubMchID: f.subMchID, OutOrderNo: f.order}); err == nil {
		for _, e := range o.Timeline {
			for _, m := range reScenario.FindAllStringSubmatch(e.Summary, -1) {
				ids[m[2]] = true
			}
		}
	}
	if ns, err := f.sb.ListNotifications(ctx, sandbox.ListNotificationsRequest{MchID: f.mchID, SubMchID: f.subMchID, OutOrderNo: f.order}); err == nil {
		for _, n := range ns {
			if m := reScenario.FindStringSubmatch(n.Scenario); m != nil {
				ids[m[2]] = true
			}
		}
	}
	var out []string
	for _, sc := range loaded {
		acted := ids[sc.ID]
		if len(ids) == 0 { // nothing names one: those that could have
			acted = sc.Applied > 0 && (sc.Match.MchID == "" || sc.Match.MchID == f.mchID)
		}
		if acted {
			out = append(out, fmt.Sprintf("the loaded scenario %s (%s, applied %s) explains it: %s",
				sc.Name, sc.ID, times(sc.Applied), strings.TrimSuffix(sc.Description, ".")))
		}
	}
	slices.Sort(out)
	return out
}

// times is "once", "2 times", ….
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}
