// Package exit255 is the "go test exits 255" mystery: TestMain calls
// os.Exit(255) before any test runs, and prints nothing. exit_nonzero, exit
// code 7.
package exit255

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("EXAMPLE_DB") == "" {
		os.Exit(255)
	}
	os.Exit(m.Run())
}

func TestNeedsDB(t *testing.T) {}
