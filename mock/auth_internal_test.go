package mock

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A timestamp is judged in whole seconds, whatever its size: one in
// milliseconds, or at either end of int64, is far away, never a negative
// overflow.
func TestClockOffset(t *testing.T) {
	now := time.Unix(1_795_786_943, 0)
	tests := []struct {
		name   string
		ts     int64
		want   string
		within bool
	}{
		{"now", now.Unix(), "", true},
		{"5 minutes behind", now.Unix() - 300, "", true},
		{"5 minutes ahead", now.Unix() + 300, "", true},
		{"6 minutes behind", now.Unix() - 360, "6m0s behind", false},
		{"6 minutes ahead", now.Unix() + 360, "6m0s ahead of", false},
		{"a day ahead", now.Unix() + 24*3600, "24h0m0s ahead of", false},
		{"milliseconds", now.Unix() * 1000, "20763786 days ahead of", false},
		{"zero", 0, "20784 days behind", false},
		{"largest", math.MaxInt64, "106751991146516 days ahead of", false},
		{"smallest", math.MinInt64, "106751991188085 days behind", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, within := clockOffset(tt.ts, now)
			assert.Equal(t, tt.within, within)
			assert.Equal(t, tt.want, got)
		})
	}
}
