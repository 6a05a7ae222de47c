package secret_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/secret"
)

func TestNew(t *testing.T) {
	const n = 1000
	seen := make(map[string]bool, n)
	digests := make(map[string]bool, n)
	for range n {
		plain, digest := secret.New()
		rest, ok := strings.CutPrefix(plain, "mint_")
		if !ok {
			t.Fatalf("secret %q lacks the mint_ prefix", plain)
		}
		if len(rest) != 43 {
			t.Fatalf("secret %q has %d characters after the prefix, want 43", plain, len(rest))
		}
		if strings.Trim(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("secret %q has characters outside base64url", plain)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(rest)
		if err != nil {
			t.Fatalf("secret %q does not decode as base64url: %v", plain, err)
		}
		if len(raw) != 32 {
			t.Fatalf("secret %q decodes to %d bytes, want 32", plain, len(raw))
		}
		if want := sha256.Sum256([]byte(plain)); !bytes.Equal(digest, want[:]) {
			t.Fatalf("New's digest of %q is %x, want its SHA-256 %x", plain, digest, want)
		}
		if seen[plain] || digests[string(digest)] {
			t.Fatalf("secret %q came out twice in %d calls", plain, n)
		}
		seen[plain], digests[string(digest)] = true, true
	}
}

func TestDigest(t *testing.T) {
	tests := []struct {
		name, plain, wantHex string
	}{
		// FIPS 180-2 / NIST test vectors.
		{"Empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"ABC", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"TwoBlocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(secret.Digest(tt.plain)); got != tt.wantHex {
				t.Errorf("Digest(%q) = %s, want %s", tt.plain, got, tt.wantHex)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	plain, digest := secret.New()
	other, _ := secret.New()
	flipped := bytes.Clone(digest)
	flipped[31] ^= 1

	tests := []struct {
		name      string
		presented string
		digest    []byte
		want      bool
	}{
		{"TheSecret", plain, digest, true},
		{"AnotherSecret", other, digest, false},
		{"EmptyPresented", "", digest, false},
		{"PrefixOnly", secret.Prefix, digest, false},
		{"PrefixOnlyAgainstItsOwnDigest", secret.Prefix, secret.Digest(secret.Prefix), true},
		{"WithoutPrefix", strings.TrimPrefix(plain, secret.Prefix), digest, false},
		{"TrailingNewline", plain + "\n", digest, false},
		{"OneCharacterShort", plain[:len(plain)-1], digest, false},
		{"UpperCased", strings.ToUpper(plain), digest, false},
		{"TheDigestItselfAsHex", hex.EncodeToString(digest), digest, false},
		{"OneBitFlippedInDigest", plain, flipped, false},
		{"TruncatedDigest", plain, digest[:16], false},
		{"DigestWithExtraByte", plain, append(bytes.Clone(digest), 0), false},
		{"NilDigest", plain, nil, false},
		{"EmptyDigest", plain, []byte{}, false},
		{"EmptyPresentedNilDigest", "", nil, false},
		{"EmptyPresentedEmptyDigest", "", []byte{}, false},
		// Match compares digests only: the empty string matches its own
		// digest. mint never stores one, since New makes every secret.
		{"EmptyAgainstItsOwnDigest", "", secret.Digest(""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secret.Match(tt.presented, tt.digest); got != tt.want {
				t.Errorf("Match(%q, %x) = %v, want %v", tt.presented, tt.digest, got, tt.want)
			}
		})
	}
}

func TestMatchDigest(t *testing.T) {
	a := secret.Digest("mint_a")
	tests := []struct {
		name string
		x, y []byte
		want bool
	}{
		{"Equal", a, bytes.Clone(a), true},
		{"Different", a, secret.Digest("mint_b"), false},
		{"Prefix", a, a[:31], false},
		{"AgainstNil", a, nil, false},
		{"BothNil", nil, nil, false},
		{"BothEmpty", []byte{}, []byte{}, false},
		{"EqualButShort", a[:16], bytes.Clone(a[:16]), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secret.MatchDigest(tt.x, tt.y); got != tt.want {
				t.Errorf("MatchDigest(%x, %x) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
			if got := secret.MatchDigest(tt.y, tt.x); got != tt.want {
				t.Errorf("MatchDigest is not symmetric: (%x, %x) = %v", tt.y, tt.x, got)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	plain, _ := secret.New()
	for _, s := range []string{"", "mint_", plain, "mint_" + strings.Repeat("A", 43), "\x00", "ключ", strings.Repeat("x", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := secret.Digest(s)
		if len(d) != sha256.Size {
			t.Fatalf("Digest(%q) has %d bytes", s, len(d))
		}
		if !secret.Match(s, d) {
			t.Errorf("Match(%q, Digest(%q)) = false", s, s)
		}
		if secret.Match(s+"x", d) {
			t.Errorf("Match(%q, Digest(%q)) = true", s+"x", s)
		}
	})
}
