package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A mistyped command or flag is a usage error (nothing sent) whose hint
// names the nearest real one; one that is nothing like any gets none.
func TestDidYouMean(t *testing.T) {
	t.Parallel()
	env := map[string]string{"MOCKPAY_URL": "http://127.0.0.1:1"} // never reached
	tests := []struct {
		args []string
		hint string // "" when none is expected
	}{
		{[]string{"ordr", "create"}, "hint: did you mean 'client order'?"},
		{[]string{"order", "creat"}, "hint: did you mean 'client order create'?"},
		{[]string{"order", "create", "--amout", "5000"}, "hint: did you mean --amount?"},
		{[]string{"order", "create", "-opnid", "o1"}, "hint: did you mean --openid?"},
		{[]string{"order", "create", "--notifyurl", "http://x"}, "hint: did you mean --notify-url?"},
		{[]string{"sandbox", "notifications", "redelivr", "x"}, "hint: did you mean 'client sandbox notifications redeliver'?"},
		{[]string{"sandbox", "clock", "advanse", "30m"}, "hint: did you mean 'client sandbox clock advance'?"},
		{[]string{"help", "sandbx"}, "hint: did you mean 'client sandbox'?"},
		{[]string{"order", "create", "--colour", "red"}, ""},
		{[]string{"teleport"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runWith(t, env, tt.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			if tt.hint == "" {
				assert.NotContains(t, r.stderr, "did you mean")
				return
			}
			assert.Contains(t, r.stderr, tt.hint)
		})
	}
}
