package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// progName is how usage lines name the program; examples use `go run
// ./cmd/client`, which works from the repository root without a build.
const progName = "client"

// command is one node of the command tree. A node with subs and no run is
// a group (`order`); a node may also have both (`sandbox clock` shows the
// clock, `sandbox clock advance` moves it).
type command struct {
	name     string
	args     string // synopsis of positional arguments, e.g. "<openid>"
	short    string // one line in the parent's list
	group    string // heading in the parent's list; "" is "Commands"
	long     string // the paragraph --help starts with
	examples []string
	setFlags func(fs *flag.FlagSet)
	run      func(ctx context.Context, args []string) error
	subs     []*command
	// minArgs and maxArgs bound the positional arguments of run; maxArgs
	// -1 means no bound.
	minArgs, maxArgs int
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// usageError is a mistake on the command line: exit status 2, with a hint
// pointing at the command's --help.
type usageError struct {
	msg  string
	hint string   // optional extra line
	path []string // the command, for "Run '… --help'"
}

func (e *usageError) Error() string { return e.msg }

// errHelpShown ends a run that printed --help: exit status 0.
var errHelpShown = errors.New("help shown")

// execute parses args for cmd (whose full name is path) and runs it or
// descends into a subcommand. Flags may come before or after positional
// arguments; the global flags are accepted at every level.
func (a *app) execute(ctx context.Context, cmd *command, path []string, args []string) error {
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a.globalFlags(fs)
	if cmd.setFlags != nil {
		cmd.setFlags(fs)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				a.printHelp(a.stdout, cmd, path)
				return errHelpShown
			}
			return parseError(fs, path, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is positional
			break
		}
		if len(pos) == 0 && len(cmd.subs) > 0 {
			if sub := cmd.sub(rest[0]); sub != nil {
				return a.execute(ctx, sub, append(slices.Clip(path), sub.name), rest[1:])
			}
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if cmd.run == nil {
		if len(pos) == 0 {
			return &usageError{msg: fmt.Sprintf("%s needs a command: %s", strings.Join(path, " "), subNames(cmd)), path: path}
		}
		return unknownCommand(path, cmd, pos[0])
	}
	switch {
	case len(pos) < cmd.minArgs:
		return &usageError{msg: fmt.Sprintf("missing argument %s", cmd.args), path: path}
	case cmd.maxArgs >= 0 && len(pos) > cmd.maxArgs:
		if len(cmd.subs) > 0 {
			return unknownCommand(path, cmd, pos[0])
		}
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", pos[cmd.maxArgs]), path: path}
	}
	err := cmd.run(ctx, pos)
	var ue *usageError
	if errors.As(err, &ue) && ue.path == nil {
		ue.path = path
	}
	return err
}

func subNames(cmd *command) string {
	names := make([]string, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		names = append(names, s.name)
	}
	return strings.Join(names, ", ")
}

// globalFlags registers the flags every command accepts: the settings,
// --config, --json and --sandbox. They are bound to the app, so a flag
// given before the command name and one given after it land in one place.
func (a *app) globalFlags(fs *flag.FlagSet) {
	for _, f := range settingFields() {
		fs.Func(f.flag, f.help, func(v string) error {
			a.flagSettings.setField(f.index, v)
			return nil
		})
	}
	fs.StringVar(&a.configPath, "config", a.configPath, "YAML file with the settings (keys below); also MOCKPAY_CONFIG")
	fs.BoolVar(&a.jsonOut, "json", a.jsonOut, "print the API object as JSON instead of text")
	fs.BoolVar(&a.sandbox, "sandbox", a.sandbox, "register a fresh merchant in the mock and act as it")
}

// isGlobalFlag reports whether name is one of globalFlags.
func isGlobalFlag(name string) bool {
	switch name {
	case "config", "json", "sandbox":
		return true
	}
	for _, f := range settingFields() {
		if f.flag == name {
			return true
		}
	}
	return false
}
