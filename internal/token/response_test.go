package token

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/verbatim"
	"github.com/mintauth/mint/oauth"
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
		want := encodingJSON(&r)
		if got := r.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON(%+v)\n got %s\nwant %s", r, got, want)
		}
		if l := withScopeList(r); !bytes.Equal(l.AppendJSON(nil), want) {
			got := l.AppendJSON(nil)
			t.Errorf("AppendJSON(%+v) with the scope as a list\n got %s\nwant %s", r, got, want)
		}
	}
}

// withScopeList is r with its scope as the list issue gives, the same
// answer.
func withScopeList(r Response) Response {
	r.scopes, r.Scope = strings.Split(r.Scope, " "), ""
	return r
}

func FuzzResponseAppendJSON(f *testing.F) {
	f.Add("a.b.c", "Bearer", int64(3600), "read write")
	f.Add("", "", int64(0), "\"\\\x01\u2028\xff<>&")
	f.Fuzz(func(t *testing.T, token, typ string, expires int64, scope string) {
		r := Response{AccessToken: token, TokenType: typ, ExpiresIn: expires, Scope: scope}
		want := encodingJSON(&r)
		if got := r.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%+v)\n got %q\nwant %q", r, got, want)
		}
		if l := withScopeList(r); !bytes.Equal(l.AppendJSON(nil), want) {
			got := l.AppendJSON(nil)
			t.Fatalf("AppendJSON(%+v) with the scope as a list\n got %q\nwant %q", r, got, want)
		}
	})
}

// TestWriteAnswerHeaders: the token answer's shared header values give the
// same answer as oauth.WriteJSONBody, and a handler that adds to one of
// its headers afterwards does not change the next answer's.
func TestWriteAnswerHeaders(t *testing.T) {
	body := []byte(`{"access_token":"a.b.c","token_type":"Bearer","expires_in":60}` + "\n")
	want := httptest.NewRecorder()
	oauth.WriteJSONBody(want, http.StatusOK, body)
	got := httptest.NewRecorder()
	writeAnswer(got, body)
	if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("writeAnswer: %d %v %q; oauth.WriteJSONBody: %d %v %q",
			got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
	}
	got.Header().Add("Cache-Control", "private")
	again := httptest.NewRecorder()
	writeAnswer(again, body)
	if v := again.Header().Values("Cache-Control"); !reflect.DeepEqual(v, []string{"no-store"}) {
		t.Fatalf("after an Add to an earlier answer's header, Cache-Control is %q", v)
	}
}

// TestSignedTokensNeedNoEscaping: the tokens the key ring signs, of every
// algorithm, are what AppendJSON writes unread for an issued token
// (Response.signed): nothing in them needs escaping, and the answer is
// encoding/json's.
func TestSignedTokensNeedNoEscaping(t *testing.T) {
	f := newFixture(t)
	for _, alg := range mint.SigningAlgorithms {
		tok, err := f.ring.Sign(context.Background(), alg, []byte(`{"sub":"x","scope":"a\"<&>\\ é"}`))
		if err != nil {
			t.Fatal(err)
		}
		if !verbatim.JSON(tok) {
			t.Errorf("%s token %q needs escaping", alg, tok)
		}
		r := Response{AccessToken: tok, TokenType: "Bearer", ExpiresIn: 60, signed: true}
		if got, want := r.AppendJSON(nil), encodingJSON(&r); !bytes.Equal(got, want) {
			t.Errorf("%s: AppendJSON\n got %s\nwant %s", alg, got, want)
		}
	}
}
