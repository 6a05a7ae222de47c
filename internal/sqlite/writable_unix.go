//go:build unix

package sqlite

import (
	"io/fs"
	"syscall"
)

// checkWritable says why, before SQLite tries, when the database file
// cannot be written — a read-only file system, no permission — where
// SQLite would say only "unable to open database file". access(2) opens
// nothing, so it cannot drop a lock (see file.go).
func checkWritable(path string) error {
	const wOK = 2 // W_OK, the same on every unix
	if err := syscall.Access(path, wOK); err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return nil
}
