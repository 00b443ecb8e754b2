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

	// OutTradeNo is a parking deduction's merchant order number
	// (protocol-parking.md §5: 数字、大小写字母_-*).
	OutTradeNo = pattern(`^[0-9A-Za-z_\-*]{1,32}$`, "1 to 32 of [0-9A-Za-z_-*]")
	// OutParkingNo is a merchant's parking entry number (string(64); its
	// characters are unpublished, docs/fidelity.md).
	OutParkingNo = pattern(`^[0-9A-Za-z_\-|*@]{1,64}$`, "1 to 64 of [0-9A-Za-z_-|*@]")
	// PlateNumber is a Chinese licence plate as the parking API takes it:
	// the province's character and the plate, upper case, no separators
	// (粤B888888; 8 characters for a new-energy plate; a last character
	// such as 学 or 挂 for special plates).
	PlateNumber = pattern(`^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Z][0-9A-Z]{4,6}[挂学警港澳领试超]?$`,
		"a province's character, a capital letter, 4 to 6 capital letters or digits and an optional 挂学警港澳领试超, with no separators (粤B888888)")
)
