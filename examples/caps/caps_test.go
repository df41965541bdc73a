// Package caps prints the capabilities the test binary holds (CapEff of
// /proc/self/status): with -v, the line shows what testjail kept.
package caps

import (
	"os"
	"strings"
	"testing"
)

func TestCapEff(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "CapEff:") {
			t.Log(strings.Join(strings.Fields(l), " "))
			return
		}
	}
	t.Fatal("no CapEff line")
}
