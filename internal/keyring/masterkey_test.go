package keyring_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mintauth/mint/internal/keyring"
)

// TestMasterKeyFileOthersCanReachIsRefused: a master key file that gives
// its group or others any access is refused, as ssh refuses such a private
// key, whether mint reads it (--master-key-file, mint.db.key) or finds it
// already there when it would create one; its mode is left alone. Modes
// that keep others out are read.
func TestMasterKeyFileOthersCanReachIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX file modes")
	}
	key := keyring.NewMasterKey()
	for _, c := range []struct {
		mode    os.FileMode
		refused bool
	}{
		{0o644, true}, {0o640, true}, {0o604, true}, {0o660, true}, {0o666, true},
		{0o620, true}, {0o602, true}, {0o610, true}, {0o601, true}, {0o655, true},
		{0o600, false}, {0o400, false}, {0o700, false},
	} {
		for name, read := range map[string]func(string) ([]byte, error){
			"read": keyring.ReadMasterKeyFile, "create": keyring.CreateMasterKeyFile,
		} {
			t.Run(name+c.mode.String(), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "mint.db.key")
				if err := os.WriteFile(path, []byte(keyring.EncodeMasterKey(key)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, c.mode); err != nil {
					t.Fatal(err)
				}
				got, err := read(path)
				if c.refused {
					if !errors.Is(err, keyring.ErrKeyFileMode) || got != nil {
						t.Fatalf("mode %v: got a key and %v, want ErrKeyFileMode", c.mode, err)
					}
				} else if err != nil || !bytes.Equal(got, key) {
					t.Fatalf("mode %v: %v, want the key in the file", c.mode, err)
				}
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != c.mode {
					t.Errorf("the file's mode changed: %v %v", fi.Mode(), err)
				}
			})
		}
	}
}

// TestNewMasterKeyFileIsPrivate: a created key file is 0600 whatever the
// umask, and reads back.
func TestNewMasterKeyFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mint.db.key")
	key, err := keyring.CreateMasterKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("new key file: %v %v, want mode 0600", fi.Mode(), err)
	}
	if again, err := keyring.ReadMasterKeyFile(path); err != nil || !bytes.Equal(again, key) {
		t.Fatalf("read back: %v", err)
	}
}
