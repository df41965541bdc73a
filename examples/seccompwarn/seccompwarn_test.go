// Package seccompwarn probes ptrace, gets EPERM under a seccomp profile and
// passes anyway: testjail keeps it passed and lists the denial as a warning.
package seccompwarn

import (
	"syscall"
	"testing"
)

func TestProbePtrace(t *testing.T) {
	_, _, e := syscall.Syscall6(syscall.SYS_PTRACE, syscall.PTRACE_PEEKDATA, 999999, 0, 0, 0, 0)
	t.Logf("ptrace probe: %v (tracing features off)", e)
}
