// Package suggest finds what a mistyped name was meant to be: the CLI's
// commands and flags, the mock's paths and query parameters. It answers
// only when one candidate is close enough to be a slip of the fingers, so
// that a suggestion is worth reading.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Distance is the Levenshtein distance between a and b: how many runes
// must be inserted, deleted or replaced to turn one into the other.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// near is how far a name may be from what was meant: one edit in a short
// name, a third of its length in a longer one.
func near(d, length int) bool {
	return d > 0 && d <= max(1, length/3)
}

// Name returns the candidate nearest to word when it is near enough to be
// what was meant; the first of equally near ones wins, so candidates go in
// order of preference. A word that is a candidate is not a mistake and
// gets no suggestion.
func Name(word string, candidates []string) (string, bool) {
	best, bestD := "", -1
	for _, c := range candidates {
		d := Distance(word, c)
		if d == 0 {
			return "", false
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || !near(bestD, utf8.RuneCountInString(word)) {
		return "", false
	}
	return best, true
}

// Path returns the index of the path template nearest to path, when it is
// near enough to be what was meant. A template's {variable} segment
// stands for any one non-empty segment, so /orders/RIDE-1/confirn is one
// edit from /orders/{out_order_no}/confirm; templates with another number
// of segments are compared as written. The first of equally near
// templates wins.
func Path(path string, templates []string) (int, bool) {
	best, bestD := -1, -1
	for i, t := range templates {
		d := Distance(path, fill(t, path))
		if d == 0 {
			return -1, false
		}
		if bestD < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	// A path is long and mostly right; allow a few slips, more in a longer
	// one, but never a different path.
	if bestD < 0 || bestD > max(3, utf8.RuneCountInString(path)/10) {
		return -1, false
	}
	return best, true
}

// fill replaces the {variable} segments of template with the segments of
// path at the same place, when both have as many segments.
func fill(template, path string) string {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return template
	}
	for i, seg := range ts {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && ps[i] != "" {
			ts[i] = ps[i]
		}
	}
	return strings.Join(ts, "/")
}
