//go:build !unix

package spool

import (
	"errors"
	"os"
)

// lockDir creates path exclusively. Without flock a crashed process
// leaves it behind: remove LOCK by hand once no process uses the spool.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, ErrLocked
	}
	return f, err
}

func unlockDir(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}
