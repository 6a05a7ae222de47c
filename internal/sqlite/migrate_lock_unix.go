//go:build unix

package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockForMigration takes an exclusive flock on the directory of the
// database file, so that processes opening one new file at once migrate
// it one after another instead of racing to create the same tables.
//
// It must not lock the database file itself: that would mean opening and
// closing a descriptor on it, and closing any descriptor on a file drops
// every fcntl lock this process's SQLite connections hold on it (see
// file.go). Locking the directory costs no extra file; databases sharing
// a directory only migrate one at a time.
func lockForMigration(path string) (unlock func(), err error) {
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, failed("sqlite: migration lock: %w", err)
	}
	if err := syscall.Flock(int(dir.Fd()), syscall.LOCK_EX); err != nil {
		dir.Close()
		return nil, failed("sqlite: migration lock: %w", err)
	}
	return func() {
		syscall.Flock(int(dir.Fd()), syscall.LOCK_UN)
		dir.Close()
	}, nil
}
