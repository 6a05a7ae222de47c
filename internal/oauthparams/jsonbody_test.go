package oauthparams

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mintauth/mint/oauth"
)

// testSpec reads the token endpoint's client parameters.
var testSpec = Spec{
	Known: func(name string) bool {
		switch name {
		case "client_id", "client_secret", "grant_type", "audience", "resource":
			return true
		}
		return false
	},
	Repeated: func(name string) error {
		if name == "resource" {
			return oauth.ErrInvalidTarget.WithField(name).Describe("send resource once")
		}
		return nil
	},
}

var jsonSeeds = []string{
	`{"client_id":"a","client_secret":"b","audience":"https://api.eu.tocc.tech","grant_type":"client_credentials"}`,
	` { "client_id" : "a" , "x" : {"y":[1,null,true,false,-0.5e+3,"}"]} } `,
	`{"grant_type":"client_credentials","scope":["a"],"x":{"y":[1,null]}}`,
	`{"client_id":"a","client_id":"a"} {}`, `{"resource":"x","resource":"y"}`,
	`{"client\u005fid":"\u00e9\n\"","x":"\ud800"}`, `{"client_id":5}`, `{"client_id":truex}`, `{"client_id":01}`,
	`{"x":01}`, `{"x":1.}`, `{"x":-}`, `{"x":1e}`, `{"x":tru}`, `{"x":[1,]}`, `{"x":"a\qb"}`, "{\"x\":\"\t\"}",
	`{}`, `{} `, `{}x`, `{},`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{]`, `{"a":1]`,
	`[]`, `"x"`, ``, ` `, `{"client_id":{"a":"b"}}`, `{"client_id":["a"]}`, `{"client_id":null}`,
	`{"client_id":"a"}]`, `{"x":{"a":1}}}`, `{"x":[[[]]]}`, `{"x":"\u12"}`, `{"grant_type":""}`,
	"{\"a\":\"\xff\"}", `{"client_id":"a","x":1e5,"y":-0,"z":0.1E-2}`,
}

// FuzzDecodeJSON: decodeJSON answers exactly as encoding/json's Decoder,
// which read bodies before it, does: the same parameters, or the same
// error; and nothing it answers shares the body's buffer, which the next
// request overwrites (scribbled over here before comparing).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		wantP, wantErr := testSpec.decodeJSONWithDecoder(body)
		buf := slices.Clone(body)
		gotP, gotErr := testSpec.decodeJSONNew(buf)
		for i := range buf {
			buf[i] = 'X'
		}
		if !reflect.DeepEqual(gotP, wantP) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Fatalf("body %q:\ngot  %v, %#v\nwant %v, %#v", body, gotP, gotErr, wantP, wantErr)
		}
	})
}

func TestDecodeJSONAsDecoder(t *testing.T) {
	for _, s := range jsonSeeds {
		gotP, gotErr := testSpec.decodeJSONNew([]byte(s))
		wantP, wantErr := testSpec.decodeJSONWithDecoder([]byte(s))
		if !reflect.DeepEqual(gotP, wantP) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("body %q:\ngot  %v, %v\nwant %v, %v", s, gotP, gotErr, wantP, wantErr)
		}
	}
	deep := `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`
	if _, err := testSpec.decodeJSONNew([]byte(deep)); err != errNotJSONObject {
		t.Errorf("nesting past encoding/json's limit: %v", err)
	}
}

// decodeJSONNew is decodeJSON into a new map, nil on error.
func (s Spec) decodeJSONNew(body []byte) (Params, error) {
	p := Params{}
	if err := s.decodeJSON(p, body); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeJSONWithDecoder is how bodies were read before decodeJSON, with
// encoding/json's Decoder: the reference decodeJSON must agree with.
func (s Spec) decodeJSONWithDecoder(body []byte) (Params, error) {
	if !utf8.Valid(body) {
		return nil, errNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotJSONObject
	}
	p := Params{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errNotJSONObject
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errNotJSONObject
		}
		if !s.Known(name) {
			continue
		}
		var value string
		if raw[0] != '"' || json.Unmarshal(raw, &value) != nil {
			return nil, oauth.ErrInvalidRequest.WithField(name).Describe("%s must be a JSON string", name)
		}
		if err := s.add(p, name, value); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, errNotJSONObject
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errAfterObject
	}
	return p, nil
}
