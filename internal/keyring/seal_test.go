package keyring_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
)

func TestSealing(t *testing.T) {
	ctx := testContext(t)
	r, store, path := newRing(t)
	for _, alg := range mint.SigningAlgorithms {
		if err := r.EnsureKey(ctx, alg); err != nil {
			t.Fatal(err)
		}
	}
	keys := listKeys(t, store)
	if len(keys) != len(mint.SigningAlgorithms) {
		t.Fatalf("store holds %d keys, want one per algorithm", len(keys))
	}

	t.Run("RoundTrip", func(t *testing.T) {
		for _, k := range keys {
			if !bytes.HasPrefix(k.PrivateKey, []byte("mint-sealed-v1:")) {
				t.Errorf("%s key stored as %q…, want sealed", k.Algorithm, k.PrivateKey[:8])
			}
			unseal(t, k) // parses as PKCS #8 once opened
		}
	})

	t.Run("NoPrivateKeyInTheDatabaseFiles", func(t *testing.T) {
		var files [][]byte
		matches, _ := filepath.Glob(path + "*") // the database, its WAL and shared memory
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil {
				files = append(files, b)
			}
		}
		for _, k := range keys {
			der, err := keyring.Unseal(masterKey, k)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range files {
				// The last 32 bytes hold secret material in every key
				// type (all of an Ed25519 seed).
				if bytes.Contains(f, der) || bytes.Contains(f, der[len(der)-32:]) {
					t.Errorf("%s private key in the clear in %s", k.Algorithm, matches[i])
				}
			}
		}
	})

	t.Run("WrongMasterKey", func(t *testing.T) {
		before := listKeys(t, store)
		wrong := bytes.Repeat([]byte{7}, keyring.MasterKeySize)
		_, err := keyring.Open(ctx, store, keyring.Config{MasterKey: wrong, Now: clock})
		if !errors.Is(err, keyring.ErrMasterKey) {
			t.Fatalf("Open with another master key: %v, want ErrMasterKey", err)
		}
		if want := "master key does not open signing key " + keys[0].ID; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		if after := listKeys(t, store); len(after) != len(before) {
			t.Errorf("a failed Open changed the store: %d keys, then %d", len(before), len(after))
		}
	})

	t.Run("SealedKeyMovedToAnotherRowDoesNotOpen", func(t *testing.T) {
		moved := keys[0]
		moved.ID = keys[1].ID
		if _, err := keyring.Unseal(masterKey, moved); !errors.Is(err, keyring.ErrMasterKey) {
			t.Errorf("Unseal of a key under another kid: %v, want ErrMasterKey", err)
		}
		moved = keys[0]
		moved.Algorithm = "PS256"
		if _, err := keyring.Unseal(masterKey, moved); !errors.Is(err, keyring.ErrMasterKey) {
			t.Errorf("Unseal of a key under another algorithm: %v, want ErrMasterKey", err)
		}
	})

	t.Run("BadMasterKeySize", func(t *testing.T) {
		if _, err := keyring.Open(ctx, store, keyring.Config{MasterKey: []byte("short")}); err == nil {
			t.Error("Open accepted a 5-byte master key")
		}
	})
}

// TestLegacyPlaintextKey: a key an older mint stored in the clear keeps
// signing, and Open seals it.
func TestLegacyPlaintextKey(t *testing.T) {
	ctx := testContext(t)
	store := openStore(t, filepath.Join(t.TempDir(), "mint.db"))
	kid, der := newRSAKey(t)
	_, err := store.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		return append(keys, mint.SigningKey{ID: kid, Algorithm: "RS256", PrivateKey: der,
			State: mint.KeyActive, CreatedAt: epoch}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := openRing(t, store)
	if r.ActiveKeyID() != kid {
		t.Errorf("signs with %q, want the stored plaintext key %q", r.ActiveKeyID(), kid)
	}
	keys := listKeys(t, store)
	if len(keys) != 1 {
		t.Fatalf("store holds %d keys, want the one", len(keys))
	}
	if bytes.Equal(keys[0].PrivateKey, der) || !bytes.HasPrefix(keys[0].PrivateKey, []byte("mint-sealed-v1:")) {
		t.Error("Open left the plaintext key unsealed")
	}
	got, err := keyring.Unseal(masterKey, keys[0])
	if err != nil || !bytes.Equal(got, der) {
		t.Errorf("resealed key opens to another key (%v)", err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(keys[0].PrivateKey); err == nil {
		t.Error("resealed key still parses as PKCS #8")
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mint.db.key")
	key, err := keyring.CreateMasterKeyFile(path)
	if err != nil || len(key) != keyring.MasterKeySize {
		t.Fatalf("CreateMasterKeyFile = %d bytes, %v", len(key), err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %o, want 600", perm)
	}
	again, err := keyring.CreateMasterKeyFile(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("a second CreateMasterKeyFile replaced the key (%v)", err)
	}
	read, err := keyring.ReadMasterKeyFile(path)
	if err != nil || !bytes.Equal(read, key) {
		t.Errorf("ReadMasterKeyFile = %v", err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".mint-master-key-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	tests := []struct {
		name, text string
		ok         bool
	}{
		{"Standard", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", true},
		{"StandardWithNewline", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", true},
		{"RawURL", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", true},
		{"TooShort", "MDEyMzQ1Njc4OWFiY2RlZg==", false},
		{"NotBase64", "not a key!", false},
		{"Empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := keyring.ParseMasterKey(tt.text)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseMasterKey(%q) = %v, want ok %v", tt.text, err, tt.ok)
			}
			if tt.ok && !bytes.Equal(key, masterKey) {
				t.Errorf("decoded %q", key)
			}
		})
	}
}
