// Package oom reproduces a CI job that "suddenly exits" with "signal:
// killed": a test that needs more memory than the job's limit.
package oom

import "testing"

func TestSmall(t *testing.T) {
	if len(make([]byte, 1<<20)) != 1<<20 {
		t.Fatal("allocation")
	}
}

// TestHugeAlloc touches 512 MiB, page by page, so the memory is really used.
func TestHugeAlloc(t *testing.T) {
	buf := make([]byte, 512<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	t.Logf("touched %d MiB", len(buf)>>20)
}
