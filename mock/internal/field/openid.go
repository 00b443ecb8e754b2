package field

import (
	"fmt"
	"strings"
)

// MaxOpenID is the length of an openid: the string(128) of every Pay
// Score page.
const MaxOpenID = 128

// OpenID checks a user's openid wherever one is given (a body, a query, a
// sandbox path): 1 to MaxOpenID printable ASCII characters. WeChat Pay
// issues openids of 28 Base64URL characters and documents only the
// length; mockpay refuses what no openid can hold (control characters,
// NUL, anything beyond ASCII) rather than store it. The empty string
// passes (Required says whether one must be given).
func (c *Check) OpenID(name, v string) {
	if v == "" || c.Failed() {
		return
	}
	if n := len(v); n > MaxOpenID {
		c.fail(name, fmt.Sprintf("字符串规则校验失败，字符数 %d，大于最大值 %d", n, MaxOpenID),
			fmt.Sprintf("%s is %d characters long; at most %d are allowed", name, n, MaxOpenID), v)
		return
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		c.fail(name, "格式规则校验失败", name+" must be printable ASCII: no control characters, no NUL, nothing beyond ASCII", v)
	}
}
