// Package pass has tests that pass: the baseline for every other example.
package pass

import (
	"strings"
	"testing"
)

func TestUpper(t *testing.T) {
	if strings.ToUpper("go") != "GO" {
		t.Fatal("ToUpper")
	}
}

func TestTable(t *testing.T) {
	for _, c := range []struct{ in, want string }{{"a", "A"}, {"b", "B"}} {
		t.Run(c.in, func(t *testing.T) {
			if got := strings.ToUpper(c.in); got != c.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestSkipped(t *testing.T) { t.Skip("nothing to do here") }
