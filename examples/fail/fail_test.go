// Package fail has an ordinary failing test and a failing subtest:
// tests_failed, exit code 1, the failures named.
package fail

import "testing"

func TestPasses(t *testing.T) {}

func TestArithmetic(t *testing.T) {
	if got := 2 + 2; got != 5 {
		t.Errorf("2 + 2 = %d, want 5", got)
	}
}

func TestTable(t *testing.T) {
	t.Run("good", func(t *testing.T) {})
	t.Run("bad", func(t *testing.T) { t.Fatal("this case is broken") })
}
