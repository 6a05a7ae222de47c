package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ParseMasterKey decodes a master key written as base64 (standard or URL
// alphabet, padded or not), as MINT_MASTER_KEY and the key file hold it.
func ParseMasterKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.DecodeString(text); err == nil {
			if len(key) != MasterKeySize {
				return nil, fmt.Errorf("master key decodes to %d bytes, want %d", len(key), MasterKeySize)
			}
			return key, nil
		}
	}
	return nil, errors.New("master key is not base64")
}

// NewMasterKey returns a fresh random master key.
func NewMasterKey() []byte {
	key := make([]byte, MasterKeySize)
	rand.Read(key) // never fails (crypto/rand)
	return key
}

// EncodeMasterKey writes key as a key file and MINT_MASTER_KEY hold it.
func EncodeMasterKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// ErrKeyFileMode is wrapped by the error of ReadMasterKeyFile when the key
// file grants its group or others any access: whoever reads the master
// key opens every signing key in the database. Like ssh with a private
// key others can read, mint refuses the file rather than fix its mode
// behind the operator's back: the key may already have been read.
var ErrKeyFileMode = errors.New("readable or writable by others")

// maxKeyFileSize bounds what ReadMasterKeyFile reads: a key file holds one
// line of base64.
const maxKeyFileSize = 4096

// ReadMasterKeyFile reads the master key at path, refusing a file its group
// or others can access (ErrKeyFileMode). fs.ErrNotExist: there is no file.
func ReadMasterKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkKeyFileMode(f, path); err != nil {
		return nil, err
	}
	text, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	key, err := ParseMasterKey(string(text))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, nil
}

// checkKeyFileMode refuses an open key file whose mode lets anyone but its
// owner in. Windows has no POSIX modes; there the directory's ACL rules.
func checkKeyFileMode(f *os.File, path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("master key file %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("master key file %s has mode %04o, %w: run chmod 600 %s, "+
			"and treat the key as exposed to whoever could read it (see docs/keys.md)", path, perm, ErrKeyFileMode, path)
	}
	return nil
}

// CreateMasterKeyFile writes a new random master key at path, readable by
// its owner only (0600), unless a file is there already; either way it
// returns the key in the file. The file appears whole or not at all, so
// processes starting at once on one new database share one key.
func CreateMasterKeyFile(path string) ([]byte, error) {
	key := NewMasterKey()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mint-master-key-*")
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	_, err = tmp.WriteString(EncodeMasterKey(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	// A hard link never replaces an existing file: the first process wins
	// and the others read its key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ReadMasterKeyFile(path)
		}
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	return key, nil
}
