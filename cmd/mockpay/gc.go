package main

import "runtime/debug"

// gcPercent is the garbage collector's setting (GOGC) when the environment
// does not set one. A sandbox's heap is mostly its stored rows, which live
// for the whole run, while every request leaves garbage behind; with Go's
// default of 100 the process holds about twice its live heap, and a
// long-lived shared sandbox is judged by its resident memory. At 25 the
// resident set stays near 1.4 times the live heap (BenchmarkOrderMemory:
// about 2.7 KB per stored order instead of 3.8 KB) for about 25 µs more
// collector time per write at 100,000 orders, under 3 % of the RSA
// signature every answer costs (docs/performance.md, "Memory per order").
const gcPercent = 25

// tuneGC applies gcPercent unless GOGC is set, which Go's runtime has
// already applied. It returns the setting in force.
func tuneGC(environ map[string]string) int {
	if _, set := environ["GOGC"]; set {
		current := debug.SetGCPercent(100)
		debug.SetGCPercent(current)
		return current
	}
	debug.SetGCPercent(gcPercent)
	return gcPercent
}
