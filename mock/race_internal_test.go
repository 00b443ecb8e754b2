//go:build race

package mock

// raceEnabled: the race detector's instrumentation makes values escape to
// the heap that otherwise stay on the stack, so allocation budgets widen.
const raceEnabled = true
