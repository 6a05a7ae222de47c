package server_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/server"
)

func TestMasterKey(t *testing.T) {
	start := func(cfg server.Config) (*server.Server, error) {
		cfg.Issuer = "http://mint.test"
		srv, err := server.New(context.Background(), cfg)
		if err == nil {
			t.Cleanup(func() { srv.Close() })
		}
		return srv, err
	}

	t.Run("NewSQLiteDatabaseGetsAKeyFile", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "mint.db")
		first := newServer(t, server.Config{DB: db})
		info, err := os.Stat(db + ".key")
		if err != nil {
			t.Fatalf("no key file beside the database: %v", err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %o, want 600", perm)
		}
		kid := first.Keys().ActiveKeyID()
		first.Close()
		if again := newServer(t, server.Config{DB: db}); again.Keys().ActiveKeyID() != kid {
			t.Error("a restart with the key file signs with another key")
		}
	})

	t.Run("MissingKeyFileForExistingKeysIsRefused", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "mint.db")
		newServer(t, server.Config{DB: db}).Close()
		if err := os.Remove(db + ".key"); err != nil {
			t.Fatal(err)
		}
		_, err := start(server.Config{DB: db})
		if err == nil || !strings.Contains(err.Error(), "master key file") || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("start without the key file: %v, want a clear refusal", err)
		}
		if _, err := os.Stat(db + ".key"); err == nil {
			t.Error("a new key file was made for a database whose keys it cannot open")
		}
	})

	t.Run("WrongMasterKeyIsRefused", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "mint.db")
		newServer(t, server.Config{DB: db}).Close()
		_, err := start(server.Config{DB: db, MasterKey: bytes.Repeat([]byte{1}, keyring.MasterKeySize)})
		if err == nil || !strings.Contains(err.Error(), "master key does not open signing key") {
			t.Fatalf("start with another master key: %v", err)
		}
	})

	t.Run("MasterKeyWinsOverTheFile", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "mint.db")
		key := keyring.NewMasterKey()
		newServer(t, server.Config{DB: db, MasterKey: key}).Close()
		if _, err := os.Stat(db + ".key"); err == nil {
			t.Error("a key file was made although a master key was given")
		}
		if _, err := start(server.Config{DB: db, MasterKey: key}); err != nil {
			t.Errorf("restart with the same master key: %v", err)
		}
	})

	t.Run("MasterKeyFile", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "master.key")
		if err := os.WriteFile(file, []byte(keyring.EncodeMasterKey(keyring.NewMasterKey())+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "mint.db")
		newServer(t, server.Config{DB: db, MasterKeyFile: file}).Close()
		if _, err := os.Stat(db + ".key"); err == nil {
			t.Error("a default key file was made although --master-key-file was given")
		}
		if _, err := start(server.Config{DB: db}); err == nil {
			t.Error("the default key file opened keys sealed with another")
		}
	})

	t.Run("ShortMasterKey", func(t *testing.T) {
		_, err := start(server.Config{DB: filepath.Join(t.TempDir(), "mint.db"), MasterKey: []byte("short")})
		if err == nil || !strings.Contains(err.Error(), "32 bytes") {
			t.Errorf("start with a 5-byte master key: %v", err)
		}
	})
}
