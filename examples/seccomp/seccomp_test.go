// Package seccomp has one test per syscall family a default seccomp profile
// denies. Each passes unconfined as root (the call fails for another reason
// than EPERM, or succeeds) and fails on EPERM, as a real test would; under
// testjail's default profile each denial is named with its test.
package seccomp

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

func failOnEPERM(t *testing.T, what string, e syscall.Errno) {
	t.Helper()
	if e == syscall.EPERM {
		t.Fatalf("%s: %v", what, e)
	}
	t.Logf("%s: %v", what, e)
}

func TestPtrace(t *testing.T) {
	// PEEKDATA of a pid that does not exist: ESRCH unless denied.
	_, _, e := syscall.Syscall6(syscall.SYS_PTRACE, syscall.PTRACE_PEEKDATA, 999999, 0, 0, 0, 0)
	failOnEPERM(t, "ptrace", e)
}

func TestMount(t *testing.T) {
	// The kernel looks the target up before it checks privileges: ENOENT unless denied.
	err := syscall.Mount("none", "/nonexistent-testjail-target", "tmpfs", 0, "")
	e, _ := err.(syscall.Errno)
	failOnEPERM(t, "mount", e)
}

func TestUnshareUser(t *testing.T) {
	// A new user namespace needs a single-threaded caller: EINVAL for a Go
	// binary unless denied. The thread is locked and dropped at the end.
	runtime.LockOSThread()
	_, _, e := syscall.RawSyscall(syscall.SYS_UNSHARE, syscall.CLONE_NEWUSER, 0, 0)
	failOnEPERM(t, "unshare(CLONE_NEWUSER)", e)
}

func TestKeyctl(t *testing.T) {
	// KEYCTL_GET_KEYRING_ID of the session keyring, without creating it.
	const keyctlGetKeyringID, keySpecSessionKeyring = 0, ^uintptr(2)
	_, _, e := syscall.Syscall(syscall.SYS_KEYCTL, keyctlGetKeyringID, keySpecSessionKeyring, 0)
	failOnEPERM(t, "keyctl", e)
}

func TestBpf(t *testing.T) {
	// BPF_MAP_CREATE with an empty attribute: EINVAL for a capable caller.
	var attr [64]byte
	_, _, e := syscall.Syscall(321 /* bpf on amd64 */, 0, uintptr(unsafe.Pointer(&attr[0])), 0)
	// Where the kernel refuses bpf to callers without CAP_BPF
	// (kernel.unprivileged_bpf_disabled, Debian's default), EPERM may be
	// the kernel's own answer: then only testjail's report can tell.
	if b, err := os.ReadFile("/proc/sys/kernel/unprivileged_bpf_disabled"); e == syscall.EPERM && err == nil && len(b) > 0 && b[0] != '0' {
		t.Skip("bpf: EPERM, and unprivileged bpf is disabled on this kernel")
	}
	failOnEPERM(t, "bpf", e)
}
