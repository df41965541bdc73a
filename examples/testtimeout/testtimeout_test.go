// Package testtimeout has a test that outlives go test's -timeout: Go ends
// the binary with "panic: test timed out"; test_timeout, exit code 6.
package testtimeout

import (
	"testing"
	"time"
)

func TestSlow(t *testing.T) { time.Sleep(time.Hour) }
