package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The bar for the CLI is that every command is tested both
// succeeding and failing. runWith records, for each command a test ran,
// whether it exited 0 or not; TestMain checks the tally after a full run
// of the package, so a new command without both tests fails CI.

var tally = struct {
	sync.Mutex
	ok, failed map[string]bool
}{ok: map[string]bool{}, failed: map[string]bool{}}

// record notes the outcome of one run of the CLI.
func record(args []string, code int) {
	if slices.Contains(args, "--help") || slices.Contains(args, "-h") || slices.Contains(args, "help") {
		return // help is tested on its own, for every command
	}
	path := commandPath(args)
	tally.Lock()
	defer tally.Unlock()
	if code == exitOK {
		tally.ok[path] = true
	} else {
		tally.failed[path] = true
	}
}

// commandPath is the command that args name: the longest chain of
// subcommand names among the arguments, flags and their values skipped.
func commandPath(args []string) string {
	cmd := newApp(nil, io.Discard, io.Discard).root()
	path := []string{}
	for _, arg := range args {
		if strings.HasPrefix(arg, "-") {
			continue
		}
		if sub := cmd.sub(arg); sub != nil {
			cmd = sub
			path = append(path, arg)
		}
	}
	return strings.Join(path, " ")
}

// runnable lists every command that does something: the leaves, and the
// groups that also run on their own (sandbox clock).
func runnable() []string {
	var out []string
	var walk func(c *command, path []string)
	walk = func(c *command, path []string) {
		// help is tested on its own, for every command (help_test.go).
		if c.run != nil && len(path) > 0 && c.name != "help" {
			out = append(out, strings.Join(path, " "))
		}
		for _, s := range c.subs {
			walk(s, append(slices.Clone(path), s.name))
		}
	}
	walk(newApp(nil, io.Discard, io.Discard).root(), nil)
	sort.Strings(out)
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	// Only a whole run of the package has run every command's tests.
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		var missing []string
		for _, c := range runnable() {
			switch {
			case !tally.ok[c] && !tally.failed[c]:
				missing = append(missing, c+": never run")
			case !tally.ok[c]:
				missing = append(missing, c+": never run successfully")
			case !tally.failed[c]:
				missing = append(missing, c+": never run to a failure")
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "every command needs a test that succeeds and one that fails:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

func TestCommandPath(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"order", "create", "--amount", "5000"}, "order create"},
		{[]string{"--url", "http://x", "sandbox", "clock", "advance", "30m"}, "sandbox clock advance"},
		{[]string{"sandbox", "authorize", "oUser1", "--code", "AUTH-1"}, "sandbox authorize"},
		{[]string{"--json"}, ""},
	}
	for _, tt := range tests {
		if got := commandPath(tt.args); got != tt.want {
			t.Errorf("commandPath(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
