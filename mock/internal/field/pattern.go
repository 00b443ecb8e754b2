package field

import "regexp"

// Pattern is the shape of an identifier, with its description for the
// issue a violation reports.
type Pattern struct {
	re   *regexp.Regexp
	desc string
}

func pattern(expr, desc string) Pattern { return Pattern{regexp.MustCompile(expr), desc} }

// Match reports whether v has the pattern's shape.
func (p Pattern) Match(v string) bool { return p.re.MatchString(v) }

// String is what a value must be: "1 to 32 of [0-9A-Za-z_-|*]".
func (p Pattern) String() string { return p.desc }

// The identifiers' patterns, each declared once: for the body fields and
// the path segments that carry them.
var (
	// OutOrderNo is a merchant's order number (protocol.md §4.1.8).
	OutOrderNo = pattern(`^[0-9A-Za-z_\-|*]{1,32}$`, "1 to 32 of [0-9A-Za-z_-|*]")
	// AuthorizationCode is a pre-authorization's number (protocol.md §3.1).
	AuthorizationCode = pattern(`^[0-9A-Za-z_\-*]{1,32}$`, "1 to 32 of [0-9A-Za-z_-*]")
	// OutRefundNo is a merchant's refund number (protocol.md §7.1).
	OutRefundNo = pattern(`^[0-9A-Za-z_\-|*@]{1,64}$`, "1 to 64 of [0-9A-Za-z_-|*@]")
	// MchID is a merchant id.
	MchID = pattern(`^[0-9]{1,32}$`, "1 to 32 digits")
	// OutApplyNo is a service provider's number of a binding application
	// (protocol-partner.md §6.1).
	OutApplyNo = pattern(`^[0-9A-Za-z_\-]{1,32}$`, "1 to 32 of [0-9A-Za-z_-]")
	// ConfigID is an appid or a service_id a sandbox merchant registers.
	ConfigID = pattern(`^[0-9A-Za-z_\-]{1,32}$`, "1 to 32 of [0-9A-Za-z_-]")
)
