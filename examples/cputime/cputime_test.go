// Package cputime burns CPU for 30 seconds. Under --ulimit cpu=1 the kernel
// kills it with SIGKILL at the hard limit (Go ignores SIGXCPU):
// rlimit_cpu, exit code 5.
package cputime

import (
	"testing"
	"time"
)

func TestSpin(t *testing.T) {
	n := 0
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		n++
	}
	t.Log(n)
}
