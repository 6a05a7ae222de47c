package clientauth

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/secret"
)

// TestDigestOf: the hot path's digest is secret.Digest's, for secrets of
// every length around the stack buffer's 32 bytes and beyond.
func TestDigestOf(t *testing.T) {
	for _, plain := range []string{"", "a", strings.Repeat("s", 31), strings.Repeat("s", 32), strings.Repeat("s", 33),
		"mint_sec_0123456789abcdefghijklmnopqrstuvwxyzABCDEF", "sécret\x00\xff", strings.Repeat("x", 10000)} {
		d := digestOf(plain)
		if !bytes.Equal(d[:], secret.Digest(plain)) {
			t.Errorf("digestOf(%q) differs from secret.Digest", plain)
		}
	}
}
