// Package sysbench is a syscall-heavy benchmark for the cost of a seccomp
// filter on allowed syscalls (bench/seccomp.sh): getpid, stat and a
// read of /dev/zero per iteration.
package sysbench

import (
	"os"
	"syscall"
	"testing"
)

func BenchmarkSyscalls(b *testing.B) {
	f, err := os.Open("/dev/zero")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64)
	var st syscall.Stat_t
	for i := 0; i < b.N; i++ {
		syscall.Getpid()
		if err := syscall.Stat("/", &st); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNothing(t *testing.T) {}
