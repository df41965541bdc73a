// Package hang has a test that never returns. Under --wall-timeout 2s
// testjail sends SIGQUIT (Go prints every goroutine's stack), then kills
// it: timeout, exit code 6, naming TestHangs.
package hang

import (
	"testing"
	"time"
)

func TestHangs(t *testing.T) { time.Sleep(time.Hour) }
