// Package cgo uses cgo. With the C compiler missing (here: --env
// CC=no-such-cc) the build fails: build_failed, exit code 2, naming the
// compiler and the two ways out.
package cgo

// int answer(void) { return 42; }
import "C"

// Answer comes from C.
func Answer() int { return int(C.answer()) }
