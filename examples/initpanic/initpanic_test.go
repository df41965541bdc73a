// Package initpanic panics in init, before any test starts: init_panic,
// exit code 7.
package initpanic

import (
	"os"
	"testing"
)

var config = mustLoad()

func mustLoad() string {
	if v := os.Getenv("EXAMPLE_CONFIG"); v != "" {
		return v
	}
	panic("EXAMPLE_CONFIG is not set")
}

func TestUsesConfig(t *testing.T) { _ = config }
