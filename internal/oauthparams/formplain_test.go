package oauthparams

import (
	"maps"
	"net/url"
	"strings"
	"testing"
)

var formSeeds = []string{
	"", "grant_type=client_credentials&client_id=a&client_secret=b&audience=https%3A%2F%2Fapi.test&scope=read+write",
	"client_id=a&client_id=b", "client_id=a&client_id=a&scope=x&scope=y", "a=%zz", "a=1;b=2", "client_id=%41%42",
	"&&client_id=&&scope=", "=x&client_secret", "client+id=x&client%5Fid=y", `{"client_id":"a"}`, "scope=%", "scope=a%2",
	"client_id=é&audience=\x00", strings.Repeat("a=1&", 70) + "client_id=x", strings.Repeat("&", 10001),
}

// FuzzDecodeFormPlain: every body gets from decodeForm the parameters and
// the error url.ParseQuery's reading (decodeFormGeneral) gives it, and no
// value it keeps shares the body's bytes.
func FuzzDecodeFormPlain(f *testing.F) {
	for _, s := range formSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, got := Params{}, Params{}
		werr := testSpec.decodeFormGeneral(want, body)
		if werr == nil && len(want) == 0 && jsonSentAsForm(body) {
			werr = errJSONAsForm
		}
		gerr := testSpec.decodeForm(got, append([]byte(nil), body...))
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("body %q: error %v, ParseQuery's reading %v", body, gerr, werr)
		}
		if werr == nil && !maps.Equal(got, want) {
			t.Fatalf("body %q: %q, ParseQuery's reading %q", body, got, want)
		}
		scribbled := []byte(strings.Repeat("\xff", len(body)))
		kept := Params{}
		if testSpec.decodeForm(kept, scribbled[:copy(scribbled, body)]) == nil {
			clear(scribbled)
			if !maps.Equal(kept, want) {
				t.Fatalf("body %q: after the body was overwritten, %q; want %q", body, kept, want)
			}
		}
	})
}

// FuzzUnescapeForm: unescapeForm's reading of a value, on the stack, is
// url.QueryUnescape's: the same string, or an error for the same values.
func FuzzUnescapeForm(f *testing.F) {
	for _, s := range []string{"", "a", "+", "%", "%4", "%41", "%4G", "%zz", "a+b%20c", "https%3A%2F%2Fapi.test%2Fv1",
		"read%3Aorders+write%3Aorders", "%e2%82%AC", "%%41", "x%4", strings.Repeat("%41", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, _, ok := unescapeForm(s)
		want, err := url.QueryUnescape(s)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("unescapeForm(%q) = %q, %v; url.QueryUnescape: %q, %v", s, got, ok, want, err)
		}
	})
}
