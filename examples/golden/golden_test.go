// Package golden reads its expected output from testdata/, relative to the
// package directory, as go test runs every test binary: run from anywhere
// else it fails to find the file.
package golden

import (
	"os"
	"strings"
	"testing"
)

func TestGreetingMatchesGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/greeting.golden")
	if err != nil {
		t.Fatalf("%v (a test binary runs in its package directory under go test)", err)
	}
	if got := strings.Join([]string{"hello", "from", "testdata"}, " ") + "\n"; got != string(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
