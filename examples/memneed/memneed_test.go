// Package memneed needs a known amount of memory: a test that holds 48 MiB,
// every page touched, so `testjail bisect-memory` has a threshold to find
// (a little above 48 MiB: the runtime and the binary count too).
package memneed

import (
	"runtime"
	"testing"
)

func TestSmall(t *testing.T) {
	if len(make([]byte, 1<<20)) != 1<<20 {
		t.Fatal("allocation")
	}
}

func TestHold48MiB(t *testing.T) {
	buf := make([]byte, 48<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	runtime.KeepAlive(buf)
	t.Logf("touched %d MiB", len(buf)>>20)
}
