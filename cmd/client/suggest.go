package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/mockpay/mockpay/internal/suggest"
)

// Did-you-mean for the command line: a mistyped command or flag is a
// usage error whose hint names the nearest real one.

// unknownCommand is the usage error for name, which is not a subcommand
// of cmd (at path).
func unknownCommand(path []string, cmd *command, name string) error {
	e := &usageError{msg: fmt.Sprintf("unknown command %q for %s (one of: %s)", name, strings.Join(path, " "), subNames(cmd)), path: path}
	names := make([]string, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		names = append(names, s.name)
	}
	if near, ok := suggest.Name(name, names); ok {
		e.hint = fmt.Sprintf("did you mean '%s %s'?", strings.Join(path, " "), near)
	}
	return e
}

// errUndefinedFlag is the start of the flag package's error for a flag
// that is not defined: "flag provided but not defined: -amout".
const errUndefinedFlag = "flag provided but not defined: -"

// parseError is the usage error of a command line fs could not parse; a
// flag that is not defined gets the nearest one fs has as a hint.
func parseError(fs *flag.FlagSet, path []string, err error) error {
	e := &usageError{msg: err.Error(), path: path}
	name, undefined := strings.CutPrefix(err.Error(), errUndefinedFlag)
	if !undefined {
		return e
	}
	name = strings.TrimPrefix(name, "-") // --amout is reported as -amout
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if near, ok := suggest.Name(name, names); ok {
		e.hint = "did you mean --" + near + "?"
	}
	return e
}
