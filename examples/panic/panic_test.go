// Package panic has a test that panics: the binary exits 2, but it is the
// test that failed: tests_failed, exit code 1, naming TestIndex.
package panic

import "testing"

func TestFine(t *testing.T) {}

func TestIndex(t *testing.T) {
	var s []int
	_ = s[3]
}
