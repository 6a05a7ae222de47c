//go:build unix

package sqlite

import (
	"os"
	"syscall"
)

// lockForMigration takes an exclusive flock on the database file, so that
// processes opening one new file at once migrate it one after another
// instead of racing to create the same tables. flock locks are separate
// from the fcntl locks SQLite itself takes, so they do not disturb it.
func lockForMigration(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, failed("sqlite: migration lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, failed("sqlite: migration lock: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
