// Command gen writes mockpay's test-only identities: run `go run ./testdata/certs`
// from the repository root. It writes the same files to testdata/certs (for
// merchant code and tests) and to mock/identity/embedded (so that the server
// runs without this folder). File names never change; keys and serials are new
// on every run, so golden vectors made from them must be refreshed afterwards
// (`go test ./client/protocol -run Vectors -update`).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/mockpay/mockpay/mock/identity"
)

func main() {
	dirs := []string{"testdata/certs", "mock/identity/embedded"}
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./testdata/certs [dir ...]\n\nWrites test-only keys and certificates to %v by default.\n", dirs)
	}
	flag.Parse()
	if flag.NArg() > 0 {
		dirs = flag.Args()
	}
	if err := run(dirs); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dirs []string) error {
	b, err := identity.Generate(time.Now())
	if err != nil {
		return err
	}
	files, err := b.Files()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
				return err
			}
		}
		fmt.Printf("wrote %d files to %s\n", len(names), dir)
	}
	return nil
}
