// Package signaled has a test that is killed by a SIGKILL no limit explains
// (here it sends it to itself): signaled, exit code 7.
package signaled

import (
	"os"
	"syscall"
	"testing"
)

func TestKilled(t *testing.T) {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}
