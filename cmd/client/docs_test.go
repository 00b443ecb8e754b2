package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Doc checks: what the help and the documents tell a newcomer must hold
// for as long as they are read.

// repoRoot is the repository, from this package's directory.
var repoRoot = filepath.Join("..", "..")

// helpTexts is every command's help text, by command path.
func helpTexts() map[string]string {
	out := map[string]string{}
	for path, cmd := range commandPaths() {
		out[path] = cmd.short + "\n" + cmd.long + "\n" + strings.Join(cmd.examples, "\n") + "\n" + localFlags(cmd)
	}
	return out
}

// documents is the text of README.md and docs/*.md, by file.
func documents(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]string{}
	for _, f := range append(files, filepath.Join(repoRoot, "README.md")) {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		out[f] = string(raw)
	}
	return out
}

var reRepoPath = regexp.MustCompile(`\b(?:docs|scenarios|testdata)/[\w./-]*\w`)

// Every file of the repository a command's help names exists.
func TestHelp_pathsExist(t *testing.T) {
	for path, text := range helpTexts() {
		for _, p := range reRepoPath.FindAllString(text, -1) {
			_, err := os.Stat(filepath.Join(repoRoot, p))
			assert.NoError(t, err, "'%s --help' names %s", strings.TrimSpace(progName+" "+path), p)
		}
	}
}

// reDatedTo is a clock move to a fixed date, which goes stale.
var reDatedTo = regexp.MustCompile(`--to[ =]"?\d{4}-\d\d-\d\d|"to"\s*:\s*"\d{4}-\d\d-\d\d`)

// No example moves the clock to a fixed date, which sooner or later lies
// in the past and is refused: examples use a time of day (--to 09:00) or
// a duration.
func TestExamples_noFixedDates(t *testing.T) {
	texts := helpTexts()
	for f, text := range documents(t) {
		texts[f] = text
	}
	for where, text := range texts {
		for _, m := range reDatedTo.FindAllString(text, -1) {
			t.Errorf("%s: %q moves the clock to a fixed date; use a time of day (--to 09:00) or a duration", where, m)
		}
	}
}

var reMarkdownLink = regexp.MustCompile(`\]\(([^)#\s]+)(?:#[^)]*)?\)`)

// Every relative link of the documents leads to a file.
func TestDocuments_linksExist(t *testing.T) {
	for f, text := range documents(t) {
		for _, m := range reMarkdownLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			_, err := os.Stat(filepath.Join(filepath.Dir(f), target))
			assert.NoError(t, err, "%s links to %s", f, target)
		}
	}
}

// .ci/run serves its smoke test on the port MOCKPAY_CI_PORT names, when it
// names one, and the README says so.
func TestCIRun_portOverride(t *testing.T) {
	run, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^port=\$\{MOCKPAY_CI_PORT:-`, string(run))
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "MOCKPAY_CI_PORT=")
}
