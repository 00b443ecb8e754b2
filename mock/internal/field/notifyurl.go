package field

import (
	"fmt"
	"net/url"
	"strings"
)

// MaxNotifyURL is the length of a callback address in characters: the
// string(255) of every Pay Score page (the refund page's 256 is the only
// other figure, docs/fidelity.md).
const MaxNotifyURL = 255

// NotifyURL checks a callback address, wherever a request or a merchant
// gives one: at most MaxNotifyURL characters, absolute, https:// (mockpay
// also accepts http://, so that a receiver on a laptop or in CI works
// without TLS), and "directly reachable, without parameters": neither a
// query string nor a fragment. The empty string passes (Required says
// whether one must be given).
func (c *Check) NotifyURL(name, raw string) {
	if raw == "" || c.Failed() {
		return
	}
	c.String(name, raw, MaxNotifyURL)
	if c.Failed() {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http":
		// Said apart, so that file:// or ftp:// is not taken for a typo.
		c.Rule(name, "notify_url格式不正确", fmt.Sprintf("%s has the scheme %s://, which is refused: only https:// is accepted (mockpay also accepts http://)", name, u.Scheme), raw)
	case err != nil || u.Host == "" || u.Scheme == "":
		c.Rule(name, "notify_url格式不正确", name+" must be an absolute https:// URL (mockpay also accepts http://)", raw)
	case strings.ContainsAny(raw, "?#"):
		c.Rule(name, "notify_url不能携带参数", name+" must be directly reachable: no query string, no fragment", raw)
	}
}
