// Package flakymem needs a different amount of memory from run to run: about
// half the runs hold 40 MiB, the others 8 MiB, as a test whose work depends
// on timing or random input. Under `testjail bisect-memory --runs 4` a limit
// between the two passes some runs and fails others: reported as flaky.
package flakymem

import (
	"math/rand"
	"runtime"
	"testing"
	"time"
)

func TestSometimesBig(t *testing.T) {
	size := 8 << 20
	if rand.New(rand.NewSource(time.Now().UnixNano())).Intn(2) == 0 {
		size = 40 << 20
	}
	buf := make([]byte, size)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	runtime.KeepAlive(buf)
	t.Logf("held %d MiB", size>>20)
}
