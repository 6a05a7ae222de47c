package mint_test

import (
	"crypto/rand"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// alphabet is what ids are made of, written out here rather than taken from
// the package so that a change to it shows up as a failure.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func onlyAlphabet(s string) bool {
	for _, c := range []byte(s) {
		if strings.IndexByte(alphabet, c) < 0 {
			return false
		}
	}
	return true
}

func TestNewClientID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := mint.NewClientID()
		if len(id) != 32 || !onlyAlphabet(id) {
			t.Fatalf("NewClientID() = %q, want 32 characters of [A-Za-z0-9]", id)
		}
		if seen[id] {
			t.Fatalf("NewClientID() returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestNewID(t *testing.T) {
	tests := []struct {
		name, prefix string
	}{
		{"API", "api"},
		{"Secret", "sec"},
		{"Grant", "grant"},
		{"EmptyPrefix", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(map[string]bool)
			for range 200 {
				id := mint.NewID(tt.prefix)
				rest, ok := strings.CutPrefix(id, tt.prefix+"_")
				if !ok {
					t.Fatalf("NewID(%q) = %q, want the prefix %q", tt.prefix, id, tt.prefix+"_")
				}
				if len(rest) != 20 || !onlyAlphabet(rest) {
					t.Fatalf("NewID(%q) = %q, want 20 characters of [A-Za-z0-9] after the prefix", tt.prefix, id)
				}
				if seen[id] {
					t.Fatalf("NewID(%q) returned %q twice", tt.prefix, id)
				}
				seen[id] = true
			}
		})
	}
}

// moduloBiased is randomString as it would be without rejecting the top
// bytes: 256 = 4*62 + 8, so the first 8 letters come up 5/4 as often.
func moduloBiased() string {
	b := make([]byte, 32)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// checkUniform counts the characters of n ids from gen and reports the ones
// whose count is off the mean by more than 6 standard deviations. With 20000
// client ids (640000 characters) the mean is about 10320 and the standard
// deviation about 100, so an honest generator fails about once in 10^7 runs,
// while modulo bias puts 8 letters some 2200 (≈21σ) above the mean. A bound
// of "2x the mean" would not see modulo bias at all.
func checkUniform(gen func() string, n int) (problems []string) {
	counts := make(map[byte]int, len(alphabet))
	total := 0
	for range n {
		for _, c := range []byte(gen()) {
			counts[c]++
			total++
		}
	}
	p := 1 / float64(len(alphabet))
	mean := float64(total) * p
	sd := math.Sqrt(float64(total) * p * (1 - p))
	for _, c := range []byte(alphabet) {
		got := counts[c]
		if got == 0 {
			problems = append(problems, string(c)+" never appears")
			continue
		}
		if dev := math.Abs(float64(got) - mean); dev > 6*sd || float64(got) > 2*mean {
			problems = append(problems, fmt.Sprintf("%c: %d, %.1fσ off the mean %.0f", c, got, dev/sd, mean))
		}
	}
	for c := range counts {
		if strings.IndexByte(alphabet, c) < 0 {
			problems = append(problems, "unexpected character "+string(c))
		}
	}
	return problems
}

func TestIDDistribution(t *testing.T) {
	const n = 20000
	tests := []struct {
		name        string
		gen         func() string
		wantUniform bool
	}{
		{"NewClientID", mint.NewClientID, true},
		{"NewID", func() string { return strings.TrimPrefix(mint.NewID("api"), "api_") }, true},
		// The check itself must catch the bug it is here for.
		{"ModuloBiasedReference", moduloBiased, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := checkUniform(tt.gen, n)
			if tt.wantUniform && len(problems) > 0 {
				t.Errorf("characters are not equally likely over %d ids: %v", n, problems)
			}
			if !tt.wantUniform && len(problems) == 0 {
				t.Error("the uniformity check passed a modulo-biased generator")
			}
		})
	}
}
