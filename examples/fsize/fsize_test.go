// Package fsize writes a 4 MiB file. Under --ulimit fsize=1M the write
// fails with "file too large" (Go ignores SIGXFSZ): rlimit_fsize, exit
// code 5.
package fsize

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteBigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
}
