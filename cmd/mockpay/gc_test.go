package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTuneGC: without GOGC the server runs at gcPercent; with it, Go's
// own reading of GOGC stands.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	assert.Equal(t, gcPercent, tuneGC(map[string]string{}))
	assert.Equal(t, gcPercent, debug.SetGCPercent(100), "the collector runs at gcPercent")

	debug.SetGCPercent(70) // as the runtime would have read GOGC=70
	assert.Equal(t, 70, tuneGC(map[string]string{"GOGC": "70"}))
	assert.Equal(t, 70, debug.SetGCPercent(100), "GOGC is left as it was")
}
