package oauthparams

import (
	"bytes"
	"testing"
)

// TestPlainRun: each byte value at each place of 0 to 20 bytes, among
// plain and among non-ASCII neighbours, from each start: plainRun stops
// at the first '"', '\\' or control byte, or at the last word boundary
// before the end, never past either.
func TestPlainRun(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	for n := 0; n <= 20; n++ {
		for _, fill := range []byte{'a', 0xc3, 0xff, 0x7f} {
			for p := range max(n, 1) {
				for c := range 256 {
					b := bytes.Repeat([]byte{fill}, n)
					if p < n {
						b[p] = byte(c)
					}
					for start := 0; start <= n; start++ {
						got := plainRun(b, start)
						first := start
						for first < n && !special(b[first]) {
							first++
						}
						if got > first || got < start || (got < first && !(first-got < 8 && got+8 > n)) {
							t.Fatalf("plainRun(%q, %d) = %d, first special byte at %d", b, start, got, first)
						}
						if got < n && got != first && special(b[got]) {
							t.Fatalf("plainRun(%q, %d) = %d stops at a special byte that is not the first (%d)", b, start, got, first)
						}
					}
				}
			}
		}
	}
}
