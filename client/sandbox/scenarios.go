package sandbox

import (
	"context"
	"net/http"
)

// ScenarioMatch is what a scenario applies to; empty fields match all.
type ScenarioMatch struct {
	MchID       string  `json:"mchid,omitempty"`
	SubMchID    string  `json:"sub_mchid,omitempty"`    // a service provider's sub-merchant
	OpenID      string  `json:"openid,omitempty"`       // a glob, e.g. oTest*
	OutOrderNo  string  `json:"out_order_no,omitempty"` // a glob, e.g. RIDE-*
	ServiceID   string  `json:"service_id,omitempty"`
	Endpoint    string  `json:"endpoint,omitempty"`   // an API call, e.g. serviceorder.complete
	EventType   string  `json:"event_type,omitempty"` // a callback, e.g. PAYSCORE.USER_PAID
	Nth         int     `json:"nth,omitempty"`        // only the nth matching occurrence
	Times       int     `json:"times,omitempty"`      // at most this many occurrences
	Probability float64 `json:"probability,omitempty"`
	Seed        int64   `json:"seed,omitempty"`
}

// Scenario is a loaded failure scenario.
type Scenario struct {
	ID          string        `json:"id"` // what UnloadScenario takes
	Name        string        `json:"name"`
	Description string        `json:"description"`
	File        string        `json:"file,omitempty"` // the file it was loaded from
	Match       ScenarioMatch `json:"match"`
	Effects     []string      `json:"effects"` // what it does, for people
	Applied     int           `json:"applied"` // how often it has taken effect
	answer
}

// LoadScenariosRequest is POST /sandbox/scenarios: a scenario file and
// what to narrow its scenarios to. Each scope field given replaces the
// scenarios' own, so that parallel tests can share one file.
type LoadScenariosRequest struct {
	// File names the text in errors, which say where and why:
	// "deduct.yaml:7: deduction.fail: …".
	File string
	Data []byte // the YAML (or JSON) text, e.g. of scenarios/deduct-failure.yaml

	MchID      string
	SubMchID   string
	OpenID     string
	OutOrderNo string
	ServiceID  string
}

// LoadScenarios loads the scenarios of a file, all or none: POST
// /sandbox/scenarios. The mock checks the text strictly; a mistake is a
// client.CodeParamError naming the line.
func (c *Client) LoadScenarios(ctx context.Context, req LoadScenariosRequest) ([]Scenario, error) {
	q := query("file", req.File, "mchid", req.MchID, "sub_mchid", req.SubMchID, "openid", req.OpenID, "out_order_no", req.OutOrderNo, "service_id", req.ServiceID)
	r := endpoint("LoadScenarios", http.MethodPost, "/sandbox/scenarios").with(q, req.Data)
	r.contentType = "application/yaml"
	return callArray[Scenario](ctx, c, r)
}

// ListScenarios lists the loaded scenarios and how often each applied:
// GET /sandbox/scenarios.
func (c *Client) ListScenarios(ctx context.Context) ([]Scenario, error) {
	return callArray[Scenario](ctx, c, endpoint("ListScenarios", http.MethodGet, "/sandbox/scenarios"))
}

// UnloadScenarioRequest names the scenario for UnloadScenario.
type UnloadScenarioRequest struct {
	ID string // Scenario.ID
}

// UnloadScenario removes a loaded scenario: DELETE /sandbox/scenarios/{id}.
func (c *Client) UnloadScenario(ctx context.Context, req UnloadScenarioRequest) error {
	return c.exec(ctx, endpoint("UnloadScenario", http.MethodDelete, "/sandbox/scenarios/%s", "ID", req.ID))
}
