package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// ReadMasterKeyFile reads the master key at path. fs.ErrNotExist: there is
// no file.
func ReadMasterKeyFile(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(string(text))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, nil
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
