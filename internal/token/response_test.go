package token

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is what the token endpoint wrote before AppendJSON.
func encodingJSON(r *Response) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r)
	return buf.Bytes()
}

func TestResponseAppendJSON(t *testing.T) {
	for _, r := range []Response{
		{AccessToken: "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln", TokenType: "Bearer", ExpiresIn: 86400},
		{AccessToken: "a.b.c", TokenType: "Bearer", ExpiresIn: 1, Scope: "read:orders write:orders"},
		{AccessToken: "", TokenType: "", ExpiresIn: -5, Scope: `quote" back\ <html> & tab	 nul` + "\x00 é \u2028 \xff"},
	} {
		if got, want := r.AppendJSON(nil), encodingJSON(&r); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON(%+v)\n got %s\nwant %s", r, got, want)
		}
	}
}

func FuzzResponseAppendJSON(f *testing.F) {
	f.Add("a.b.c", "Bearer", int64(3600), "read write")
	f.Add("", "", int64(0), "\"\\\x01\u2028\xff<>&")
	f.Fuzz(func(t *testing.T, token, typ string, expires int64, scope string) {
		r := Response{AccessToken: token, TokenType: typ, ExpiresIn: expires, Scope: scope}
		if got, want := r.AppendJSON(nil), encodingJSON(&r); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%+v)\n got %q\nwant %q", r, got, want)
		}
	})
}
