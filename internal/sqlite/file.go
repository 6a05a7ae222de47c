package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Nothing here opens the database file, nor its -wal or -shm: only SQLite
// does. POSIX (fcntl) locks belong to a process and a file, not to a
// descriptor, so closing any descriptor on the file drops every lock the
// process's SQLite connections hold on it. Another process (the sqlite3
// shell, a backup) then takes itself for the last user, checkpoints and
// deletes the WAL this process goes on appending to, and the commits
// after that are gone when the process stops. Stat, link and chmod by
// path are safe: they open nothing.

// createFile makes an empty database file at path, readable and writable
// by its owner only, unless a file (or anything else) is there already.
// The file is made under a temporary name and linked into place, so that
// no descriptor on path is ever opened: SQLite's own would give the file
// the default mode 0644, and the -wal and -shm files it creates later
// take the mode of the database file.
func createFile(path string) error {
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return err // there already (nil), or cannot tell
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mint-db-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Close(); err != nil {
		return err
	}
	// A hard link never replaces a file: of processes creating one
	// database at once, the first wins and the others open its file.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// ErrFileMode is wrapped by the error of Open when the database file, or
// a -wal or -shm file beside it, can be read or written by users other
// than its owner: the file holds client-secret digests and sealed signing
// keys, and SQLite gives the -wal and -shm files it creates the database
// file's mode. mint refuses such a file, as ssh refuses a private key
// others can read, instead of changing a mode an operator chose.
var ErrFileMode = errors.New("readable or writable by others")

// checkFileModes refuses a database whose file, -wal or -shm grants any
// permission to its group or others (see ErrFileMode). A -wal or -shm
// that does not exist is fine; the database file must exist.
func checkFileModes(path string) error {
	if runtime.GOOS == "windows" {
		return nil // no POSIX modes; access is the directory's ACL
	}
	for i, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if i > 0 && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return fmt.Errorf("%s has mode %04o, %w: run chmod 600 %s (and on its -wal and -shm files), "+
				"then check who could have read it", name, perm, ErrFileMode, name)
		}
	}
	return nil
}
