// Package scenarios is mockpay's library of failure scenarios: YAML files
// QA loads to reproduce what a Pay Score integration meets in production.
// Each file says, in its comments, what it does and what a correct merchant
// does about it; docs/scenarios.md is the format reference.
//
// Load them at start (MOCKPAY_SCENARIOS=scenarios/*.yaml), at run time
// (POST /sandbox/scenarios with the file as body, scoped with ?mchid=), or
// in-process (mock.Options{Scenarios: scenarios.Files}).
package scenarios

import "embed"

// Files are the scenario files of this folder.
//
//go:embed *.yaml
var Files embed.FS
