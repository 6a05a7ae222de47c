//go:build unix

package audit

import (
	"errors"
	"os"
	"syscall"
)

// lockSpill takes an exclusive flock on the spill file, held while it is
// open, so that two processes never append to one file. The lock goes with
// the process.
func lockSpill(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrSpillInUse
	}
	return err
}
