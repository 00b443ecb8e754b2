package deploy

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ReadmeComposeSection is the heading of the README section whose commands
// the CI stage .ci/compose runs.
const ReadmeComposeSection = "## Docker Compose"

// ReadmeComposeCommands returns the commands of the README's "Docker
// Compose" section: the lines of its ```sh blocks, in order, each command
// whole (see Command).
func ReadmeComposeCommands() ([]string, error) {
	f, err := os.Open(filepath.Join(Root(), "README.md"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cmds []string
	var in, inBlock bool
	var cur []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !inBlock && strings.HasPrefix(line, "## "):
			in = line == ReadmeComposeSection
		case in && !inBlock && strings.TrimSpace(line) == "```sh":
			inBlock = true
		case inBlock && strings.TrimSpace(line) == "```":
			inBlock = false
		case inBlock:
			cur = append(cur, line)
			if !strings.HasSuffix(strings.TrimRight(line, " "), `\`) {
				if c := Command(strings.Join(cur, "\n")); c != "" {
					cmds = append(cmds, c)
				}
				cur = nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("README.md: no commands in a section %q", ReadmeComposeSection)
	}
	return cmds, nil
}

var readmeCall = regexp.MustCompile(`(?ms)^readme '([^']*)'`)

// CIComposeCommands returns the commands .ci/compose runs as the README's,
// its `readme '…'` lines, in order, each whole (see Command).
func CIComposeCommands() ([]string, error) {
	data, err := os.ReadFile(filepath.Join(Root(), ".ci", "compose"))
	if err != nil {
		return nil, err
	}
	var cmds []string
	for _, m := range readmeCall.FindAllStringSubmatch(string(data), -1) {
		cmds = append(cmds, Command(m[1]))
	}
	return cmds, nil
}

var trailingComment = regexp.MustCompile(`\s+#\s.*$`)

// Command normalises a shell command written over one or more lines:
// backslash continuations are joined, each line's trailing "# comment" is
// dropped, and runs of blanks become one space.
func Command(s string) string {
	var parts []string
	for _, line := range strings.Split(s, "\n") {
		line = trailingComment.ReplaceAllString(line, "")
		line = strings.TrimSuffix(strings.TrimSpace(line), `\`)
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			parts = append(parts, line)
		}
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
