// Package buildfail does not compile: build_failed, exit code 2, with the
// compiler's first error in the diagnosis.
package buildfail

import "testing"

func TestNeverBuilt(t *testing.T) {
	undefinedHelper(t)
}
