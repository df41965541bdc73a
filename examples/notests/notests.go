// Package notests has no test files: reported as go test does, "[no test
// files]", not a failure.
package notests

// Answer is here so the package is not empty.
func Answer() int { return 42 }
