package main

import (
	"strconv"
	"strings"
)

// fenFlag is an amount in fen that knows whether it was given, so that a
// required amount has no fake default in --help.
type fenFlag struct {
	v   int64
	set bool
}

func (f *fenFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatInt(f.v, 10)
}

func (f *fenFlag) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return errNotFen
	}
	if n < 0 {
		return errNegativeFen
	}
	f.v, f.set = n, true
	return nil
}

type flagError string

func (e flagError) Error() string { return string(e) }

const (
	errNotFen      = flagError("not a whole number of fen (分), e.g. 5000 for ¥50.00")
	errNegativeFen = flagError("an amount cannot be negative")
)

// orDefault returns the amount, or def when it was not given.
func (f *fenFlag) orDefault(def int64) int64 {
	if f.set {
		return f.v
	}
	return def
}

// need returns the amount, or a usage error naming the flag.
func (f *fenFlag) need(name string) (int64, error) {
	if !f.set {
		return 0, &usageError{msg: "--" + name + " is required (in fen: 5000 is ¥50.00)"}
	}
	return f.v, nil
}

// required returns a usage error when value is empty.
func required(name, value string) error {
	if value == "" {
		return &usageError{msg: "--" + name + " is required"}
	}
	return nil
}

// exactlyOne returns a usage error unless exactly one of two alternative
// flags was given.
func exactlyOne(name1, value1, name2, value2 string) error {
	if (value1 == "") == (value2 == "") {
		return &usageError{msg: "give exactly one of --" + name1 + " and --" + name2}
	}
	return nil
}
