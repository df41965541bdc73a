// Package pids needs many OS threads: goroutines locked to their threads
// and parked. Under --pids-limit 32 the runtime cannot create a thread and
// dies: pids_limit, exit code 5.
package pids

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestManyThreads(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			time.Sleep(2 * time.Second)
		}()
	}
	wg.Wait()
}
