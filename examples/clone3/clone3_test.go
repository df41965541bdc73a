// Package clone3 checks what glibc and cgo binaries rely on: a seccomp
// profile that denies clone3 must answer ENOSYS (glibc then falls back to
// clone), never EPERM ("pthread_create failed"). Unconfined, clone3 with no
// arguments is EINVAL, so this test is about the profile.
package clone3

import (
	"syscall"
	"testing"
)

const sysClone3 = 435 // the same number on every architecture

func TestClone3ENOSYS(t *testing.T) {
	_, _, e := syscall.Syscall(sysClone3, 0, 0, 0)
	if e != syscall.ENOSYS {
		t.Fatalf("clone3: %v, want ENOSYS", e)
	}
}
