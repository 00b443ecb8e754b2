package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mockpay/mockpay/client/protocol"
)

func TestNextTimeOfDay(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		now, tod, want string
	}{
		{"2026-12-01T08:00:00+08:00", "09:00", "2026-12-01T09:00:00+08:00"},
		{"2026-12-01T09:00:00+08:00", "09:00", "2026-12-02T09:00:00+08:00"}, // strictly after now
		{"2026-12-01T23:30:00+08:00", "00:15", "2026-12-02T00:15:00+08:00"},
		{"2026-12-31T10:00:00+08:00", "09:00", "2027-01-01T09:00:00+08:00"},
		{"2026-12-01T02:00:00Z", "09:00", "2026-12-02T09:00:00+08:00"}, // 10:00 in Beijing
	}
	for _, tt := range tests {
		t.Run(tt.now+" "+tt.tod, func(t *testing.T) {
			m, err := parseClockMove(nil, tt.tod)
			assert.NoError(t, err)
			got := nextTimeOfDay(at(tt.now), m.timeOfDay)
			assert.Equal(t, tt.want, got.In(protocol.Beijing).Format(time.RFC3339))
		})
	}
	ex, err := time.Parse(time.RFC3339, exampleTime())
	assert.NoError(t, err)
	assert.True(t, ex.After(time.Now()), "the example never lies in the past")
}
