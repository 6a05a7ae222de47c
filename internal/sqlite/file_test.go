package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestOpenRefusesFilesOthersCanReach: a database file, -wal or -shm that
// gives its group or others any access is refused, not opened (SQLite
// would give the -wal and -shm it creates the database file's mode), and
// its mode is left as the operator set it; owner-only modes open.
func TestOpenRefusesFilesOthersCanReach(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX file modes")
	}
	cases := []struct {
		file    string // "", "-wal" or "-shm"
		mode    os.FileMode
		refused bool
	}{
		{"", 0o644, true}, {"", 0o604, true}, {"", 0o640, true}, {"", 0o660, true},
		{"", 0o666, true}, {"", 0o620, true}, {"", 0o602, true}, {"", 0o610, true},
		{"-wal", 0o644, true}, {"-shm", 0o644, true}, {"-wal", 0o640, true},
		{"", 0o600, false}, {"-wal", 0o600, false}, {"-shm", 0o600, false},
	}
	for _, c := range cases {
		t.Run(c.file+c.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mint.db")
			openTest(t, path).Close() // a real database, then its files' modes changed
			name := path + c.file
			if c.file != "" {
				// The WAL and shared memory are gone after a clean close:
				// leave empty ones, as a crash or an old mint would.
				if err := os.WriteFile(name, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(name, c.mode); err != nil {
				t.Fatal(err)
			}
			s, err := Open(testContext(t), path)
			if err == nil {
				s.Close()
			}
			if c.refused != errors.Is(err, ErrFileMode) {
				t.Fatalf("%s with mode %v: Open: %v, want refused %v", name, c.mode, err, c.refused)
			}
			if !c.refused {
				return // a clean close removes the -wal and -shm
			}
			if fi, err := os.Stat(name); err != nil {
				t.Error(err)
			} else if fi.Mode().Perm() != c.mode {
				t.Errorf("Open changed the mode of %s to %v", name, fi.Mode())
			}
		})
	}
}

// TestNewFileIsPrivateWhateverTheUmask: a new database file is made 0600
// by mint, not by the umask, so its -wal and -shm are 0600 too.
func TestNewFileIsPrivateWhateverTheUmask(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX file modes")
	}
	path := filepath.Join(t.TempDir(), "mint.db")
	s := openTest(t, path)
	if err := s.Ping(testContext(t)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, perm)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".mint-db-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left beside the database: %v", leftovers)
	}
}
