package admin

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/mintauth/mint/oauth"
)

// requestKinds are every request body the admin API decodes.
var requestKinds = []struct {
	new      func() request
	optional bool
}{
	{func() request { return new(createAPIRequest) }, false},
	{func() request { return new(patchAPIRequest) }, false},
	{func() request { return new(clientRequest) }, false},
	{func() request { return new(patchClientRequest) }, false},
	{func() request { return new(rotateRequest) }, true},
	{func() request { return new(createGrantRequest) }, false},
	{func() request { return new(patchGrantRequest) }, false},
}

// FuzzDecode: decoding and validating any body never panics, and every
// refusal is a 4xx *oauth.Error.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"name":"Cargo","audience":"https://cargo","scopes":["read:cargo"],"token_lifetime":3600}`,
		`{"name":"A","audience":"a","scopes":["read","read"]}`,
		`{"client_id":"x","audience":"https://cargo","scopes":[]}`,
		`{"old_secret_ttl":60}`, `{"old_secret_ttl":-1}`, `{"token_lifetime":1e40}`,
		`{"scopes":[1]}`, `{"scopes":null}`, `{"name":{}}`, `{"x":1}`, `[]`, `null`, `{} {}`, `{`, ``, "\xff",
		`{"name":"a\u0000b"}`, `{"audience":"a b"}`, `{"scopes":["` + "\u00e9" + `"]}`,
	}
	for _, s := range seeds {
		for kind := range requestKinds {
			f.Add(uint8(kind), "application/json", []byte(s))
		}
	}
	f.Add(uint8(0), "text/plain", []byte(`{}`))
	f.Add(uint8(4), "", []byte(``))
	f.Add(uint8(0), "application/json; charset=utf-8", []byte(`{"name":"A","audience":"a"}`))
	f.Fuzz(func(t *testing.T, kind uint8, contentType string, body []byte) {
		k := requestKinds[int(kind)%len(requestKinds)]
		r := httptest.NewRequest("POST", "/admin/v1/x", bytes.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		err := decode(httptest.NewRecorder(), r, k.new(), k.optional)
		if err == nil {
			return
		}
		e, ok := err.(*oauth.Error)
		if !ok {
			t.Fatalf("error %T %v is not an *oauth.Error", err, err)
		}
		if e.Status < 400 || e.Status > 499 {
			t.Fatalf("status %d for %v", e.Status, e)
		}
	})
}
