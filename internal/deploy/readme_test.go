package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeComposeIsWhatCIRuns holds the README's "Docker Compose"
// section and the CI stage .ci/compose to the same commands in the same
// order, and .ci/run to running that stage.
func TestReadmeComposeIsWhatCIRuns(t *testing.T) {
	readme, err := ReadmeComposeCommands()
	require.NoError(t, err)
	ci, err := CIComposeCommands()
	require.NoError(t, err)
	assert.Equal(t, readme, ci, "the README's %q commands and .ci/compose's readme '…' lines", ReadmeComposeSection)

	run, err := os.ReadFile(filepath.Join(Root(), ".ci", "run"))
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^\.ci/compose$`), string(run), ".ci/run must run the compose stage")
}

func TestCommand(t *testing.T) {
	assert.Equal(t, "docker-compose up -d", Command("docker-compose   up -d   # starts it"))
	assert.Equal(t, "a -e X=1 -e Y=2 b", Command("a -e X=1 \\\n  -e Y=2 \\\n  b"))
	assert.Equal(t, `curl -s http://x | jq -r ".[].id"`, Command(`curl -s http://x | jq -r ".[].id"  # ids`))
	assert.Equal(t, "", Command("# only a comment"))
}
