package verbatim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The byte-by-byte definitions the word scan must agree with.
func slowJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func slowHTML(s string) bool {
	return slowJSON(s) && !strings.ContainsAny(s, "<>&")
}

func slowLog(s string, spaces bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && spaces {
			continue
		}
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=' {
			return false
		}
	}
	return true
}

func check(t *testing.T, s string) {
	t.Helper()
	if got, want := JSON(s), slowJSON(s); got != want {
		t.Fatalf("JSON(%q) = %v, want %v", s, got, want)
	}
	if got, want := JSONHTML(s), slowHTML(s); got != want {
		t.Fatalf("JSONHTML(%q) = %v, want %v", s, got, want)
	}
	for _, spaces := range []bool{false, true} {
		if got, want := Log(s, spaces), slowLog(s, spaces); got != want {
			t.Fatalf("Log(%q, %v) = %v, want %v", s, spaces, got, want)
		}
	}
}

// TestEveryByteEveryPlace: each of the 256 byte values at each place of
// strings of 0 to 24 bytes (short ones byte by byte, whole words, the
// overlapping last word), among plain neighbours and among neighbours
// that are themselves refused, agrees with the byte-by-byte definition.
func TestEveryByteEveryPlace(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for _, fill := range []byte{'a', '~', ' ', 0x1f, 0x7f, 0x80, 0xff, '"'} {
			check(t, strings.Repeat(string(fill), n))
			for p := range n {
				for c := range 256 {
					b := bytes.Repeat([]byte{fill}, n)
					b[p] = byte(c)
					check(t, string(b))
				}
			}
		}
	}
}

// TestJSONIsWhatEncodingJSONLeaves: a string JSON accepts is encoded by
// encoding/json (HTML escaping off) as itself in quotes, and one JSONHTML
// accepts by json.Marshal; each single byte value either way.
func TestJSONIsWhatEncodingJSONLeaves(t *testing.T) {
	for c := range 256 {
		s := "ab" + string([]byte{byte(c)}) + "cdefghij"
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if unchanged := buf.String() == `"`+s+`"`+"\n"; JSON(s) && !unchanged {
			t.Errorf("JSON accepts %q, which encoding/json writes as %s", s, buf.Bytes())
		}
		m, _ := json.Marshal(s)
		if unchanged := string(m) == `"`+s+`"`; JSONHTML(s) && !unchanged {
			t.Errorf("JSONHTML accepts %q, which json.Marshal writes as %s", s, m)
		}
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{"", "a", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln", "cli_x@clients", "a=b c", "<&>", "é\u2028\x00\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { check(t, s) })
}

// BenchmarkJSON: a 420-byte token, eight bytes at a time against one at
// a time.
func BenchmarkJSON(b *testing.B) {
	tok := strings.Repeat("eyJhbGciOiJFZERTQSIsImtpZCI6IjEyMyJ9_-.", 11)[:420]
	b.Run("words", func(b *testing.B) {
		for b.Loop() {
			if !JSON(tok) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("bytes", func(b *testing.B) {
		for b.Loop() {
			if !slowJSON(tok) {
				b.Fatal("refused")
			}
		}
	})
}
