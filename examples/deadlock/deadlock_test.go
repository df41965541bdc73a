// Package deadlock has a test that waits for a value nobody sends. Without
// a -timeout timer pending, the runtime ends the whole binary with "all
// goroutines are asleep - deadlock!": deadlock, exit code 1, and
// TestAfterwards never runs.
package deadlock

import "testing"

func TestWaitsForever(t *testing.T) {
	ch := make(chan int)
	<-ch
}

func TestAfterwards(t *testing.T) {}
