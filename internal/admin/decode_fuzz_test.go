package admin

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"slices"
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
	{func() request { return new(rotateKeyRequest) }, true},
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
		`{"name":"first","name":"second"}`, `{"NAME":"x"}`, `{"Name":"x","audience":"a"}`, `{"n\u0061me":"x","name":"y"}`,
		`{"jwks":{"keys":[{"kty":"OKP","kty":"RSA"}]}}`, `{"jwks":{"keys":[],"keys":[{}]}}`, `{"scopes":[{"a":1,"a":2}]}`,
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
		req := k.new()
		err := decode(httptest.NewRecorder(), r, req, k.optional)
		if err == nil {
			if problem := looseNames(body, fieldNames(req)); problem != "" {
				t.Fatalf("accepted %q: %s", body, problem)
			}
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

// looseNames is an independent check of what strictNames refuses: it
// compares the names of each object as a token stream lists them with the
// names of the same object decoded into a map, which keeps one of each.
func looseNames(body []byte, known []string) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return "" // not an object: the decoder refused it or it is optional
	}
	for name := range top {
		if !slices.Contains(known, name) {
			return "unknown top-level name " + name
		}
	}
	return duplicateIn(json.RawMessage(body))
}

func duplicateIn(raw json.RawMessage) string {
	var obj map[string]json.RawMessage
	var arr []json.RawMessage
	switch {
	case json.Unmarshal(raw, &obj) == nil:
		if countNames(raw) != len(obj) {
			return "a name twice in " + string(raw)
		}
		for _, v := range obj {
			if p := duplicateIn(v); p != "" {
				return p
			}
		}
	case json.Unmarshal(raw, &arr) == nil:
		for _, v := range arr {
			if p := duplicateIn(v); p != "" {
				return p
			}
		}
	}
	return ""
}

// countNames counts the names of the object raw directly holds.
func countNames(raw json.RawMessage) int {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // {
	n := 0
	for dec.More() {
		dec.Token() // name
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return -1
		}
		n++
	}
	return n
}
