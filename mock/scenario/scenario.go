// Package scenario is the data QA writes to reproduce, on demand and
// deterministically, the failures a Pay Score integration meets in
// production: API faults, user behaviour, failed deductions and refunds,
// and late, lost, duplicated or forged callbacks.
//
// A scenario is a YAML document (a file may hold several, separated by
// ---): a name, a description, what it matches, and its effects. Decoding
// is strict: an unknown key, a value of the wrong kind or a bad value is
// refused with the file, the line and the field. The format is documented
// in docs/scenarios.md.
package scenario

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scenario is one scenario as written.
type Scenario struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description"`
	Match       Match      `yaml:"match"`
	API         *API       `yaml:"api"`
	User        *User      `yaml:"user"`
	Deduction   *Deduction `yaml:"deduction"`
	Refund      *Refund    `yaml:"refund"`
	Callback    *Callback  `yaml:"callback"`
}

// Match says what a scenario applies to; every condition given must hold.
// A scenario without conditions applies to everything, so tests sharing a
// server scope theirs by mchid or openid.
type Match struct {
	MchID       string    `yaml:"mchid" json:"mchid,omitempty"`
	SubMchID    string    `yaml:"sub_mchid" json:"sub_mchid,omitempty"` // a service provider's sub-merchant
	OpenID      Glob      `yaml:"openid" json:"openid,omitempty"`
	OutOrderNo  Glob      `yaml:"out_order_no" json:"out_order_no,omitempty"`
	ServiceID   string    `yaml:"service_id" json:"service_id,omitempty"`
	Endpoint    Endpoint  `yaml:"endpoint" json:"endpoint,omitempty"`     // api effects
	EventType   EventType `yaml:"event_type" json:"event_type,omitempty"` // callback effects
	Nth         int       `yaml:"nth" json:"nth,omitempty"`               // only the nth matching occurrence
	Times       int       `yaml:"times" json:"times,omitempty"`           // at most this many occurrences
	Probability float64   `yaml:"probability" json:"probability,omitempty"`
	Seed        int64     `yaml:"seed" json:"seed,omitempty"`
}

// API is a fault of the v3 API itself. Latency delays the answer; a status
// answers with WeChat Pay's error body instead of running the call; drop
// closes the connection without an answer; lose_response runs the call,
// commits its change, and then drops the connection.
type API struct {
	Status         int      `yaml:"status"`
	Code           string   `yaml:"code"`
	Message        string   `yaml:"message"`
	Latency        Duration `yaml:"latency"`
	DropConnection bool     `yaml:"drop_connection"`
	LoseResponse   bool     `yaml:"lose_response"`
}

// User is what the WeChat user does.
type User struct {
	ConfirmAfter        *Duration `yaml:"confirm_after"`        // confirms new CREATED orders after this
	NeverConfirm        bool      `yaml:"never_confirm"`        // never confirms: the order expires
	RevokeAfter         *Duration `yaml:"revoke_after"`         // closes the service this long after an order starts
	RejectAuthorization bool      `yaml:"reject_authorization"` // declines to open the service
	RiskRejected        bool      `yaml:"risk_rejected"`        // fails Pay Score's assessment: creates are refused, parking entries blocked
}

// Deduction is how WeChat Pay's deductions go. Delay, Advance and
// RepayAfter shape Pay Score parking deductions only, whose outcome a
// merchant waits for in the ACCEPTED state.
type Deduction struct {
	Fail         bool     `yaml:"fail"`          // every attempt fails
	FailAttempts int      `yaml:"fail_attempts"` // the first N attempts of an order fail
	RetryAfter   Duration `yaml:"retry_after"`   // after a failure, try again this much later
	Delay        Duration `yaml:"delay"`         // parking: an attempt is held this long before it is made
	Advance      bool     `yaml:"advance"`       // parking: the user is short and WeChat Pay advances the money (bank_type BPA)
	RepayAfter   Duration `yaml:"repay_after"`   // parking: this long after an advance, the user repays it (TRANSACTION.PAY_BACK)
}

// Refund is how refunds end.
type Refund struct {
	Outcome string `yaml:"outcome"` // ABNORMAL or CLOSED
}

// Callback is what happens to callbacks.
type Callback struct {
	Delay     Duration `yaml:"delay"`     // the first attempt waits this long
	Drop      bool     `yaml:"drop"`      // never sent
	Duplicate int      `yaml:"duplicate"` // sent this many extra times
	Forge     []Forge  `yaml:"forge"`     // forged copies sent before the genuine one
}

// Forge kinds: copies of a callback a correct merchant must reject.
const (
	ForgeProbe          = "probe"           // Wechatpay-Signature starts with WECHATPAY/SIGNTEST/
	ForgeTampered       = "tampered"        // the ciphertext is altered (the body is signed as sent)
	ForgeWrongSerial    = "wrong_serial"    // Wechatpay-Serial names no key the merchant has
	ForgeStaleTimestamp = "stale_timestamp" // Wechatpay-Timestamp is 10 minutes old
)

// Vocabulary is what scenarios can name. The mock declares it (its
// endpoint table and its callbacks), so that a scenario can name every
// endpoint the mock serves and nothing else.
type Vocabulary struct {
	Endpoints  []string // API calls (match.endpoint)
	Creates    []string // the endpoints that create an order, which user.risk_rejected refuses
	EventTypes []string // callbacks (match.event_type)
}

// Duration is a Go duration ("30s", "10m", "2h") of domain time.
type Duration time.Duration

// Glob is a path.Match pattern: "RIDE-*" matches every out_order_no
// starting RIDE-.
type Glob string

// Endpoint names an API call (Vocabulary.Endpoints).
type Endpoint string

// EventType names a callback (Vocabulary.EventTypes).
type EventType string

// Forge is a forged-copy kind.
type Forge string

// checker is a scalar type that checks its own text.
type checker interface{ check(s string) error }

func (*Duration) check(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 30s, 10m or 2h", s)
	}
	return nil
}

func (*Glob) check(s string) error {
	if _, err := path.Match(s, ""); err != nil {
		return fmt.Errorf("%q is not a valid pattern (use * and ? as wildcards)", s)
	}
	return nil
}

func (*Forge) check(s string) error {
	return oneOf(s, []string{ForgeProbe, ForgeTampered, ForgeWrongSerial, ForgeStaleTimestamp}, "forgery")
}

func oneOf(s string, allowed []string, what string) error {
	if slices.Contains(allowed, s) {
		return nil
	}
	return errors.New(unknown(s, allowed, what))
}

func unknown(s string, allowed []string, what string) string {
	return fmt.Sprintf("%q is not a known %s (one of: %s)", s, what, strings.Join(allowed, ", "))
}

// UnmarshalYAML decodes a checked duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText renders a duration as it is written ("10m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Matches reports whether s fits the pattern; an empty pattern fits all.
func (g Glob) Matches(s string) bool {
	if g == "" {
		return true
	}
	ok, _ := path.Match(string(g), s)
	return ok
}

var reName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
