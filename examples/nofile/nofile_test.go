// Package nofile keeps 200 files open. Under --ulimit nofile=64 the open
// fails with "too many open files": rlimit_nofile, exit code 5.
package nofile

import (
	"os"
	"testing"
)

func TestOpenMany(t *testing.T) {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for i := 0; i < 200; i++ {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
}
