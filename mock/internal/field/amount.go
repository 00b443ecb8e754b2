package field

import "math"

// Add returns a+b, and false when the sum does not fit in an int64.
func Add(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

// Sum adds the amounts in fen of a list's items (an item without one counts
// as 0) and records a violation of name when the sum does not fit in an
// int64: three amounts of 2^63−1 are each valid and together nothing.
func Sum[T any](c *Check, name string, items []T, amount func(T) *int64) int64 {
	var sum int64
	for _, it := range items {
		a := amount(it)
		if a == nil {
			continue
		}
		s, ok := Add(sum, *a)
		if !ok {
			c.fail(name, "数值规则校验失败，金额之和超出范围", "the amounts of "+name+" add up to more than a 64-bit integer holds", nil)
			return 0
		}
		sum = s
	}
	return sum
}
