package oauthparams

import (
	"reflect"
	"testing"
)

// TestDecoderFastPathAgrees: the bare media types skip
// mime.ParseMediaType, and choose what it would have; spellings with
// parameters, case or spaces still go through it.
func TestDecoderFastPathAgrees(t *testing.T) {
	var s Spec
	form, json := reflect.ValueOf(s.decodeForm).Pointer(), reflect.ValueOf(s.decodeJSON).Pointer()
	if form == json {
		t.Fatal("cannot tell the decoders apart")
	}
	for _, tc := range []struct {
		contentType string
		want        uintptr // 0: refused
	}{
		{"application/json", json},
		{"application/x-www-form-urlencoded", form},
		{"Application/JSON", json},
		{"application/json; charset=utf-8", json},
		{"application/json; charset=latin1", 0},
		{"application/x-www-form-urlencoded;charset=UTF-8", form},
		{" application/json", json},
		{"application/json ", json},
		{"text/plain", 0},
		{"", 0},
	} {
		decode, err := s.decoder(tc.contentType)
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("%q: accepted", tc.contentType)
		case tc.want != 0 && (err != nil || reflect.ValueOf(decode).Pointer() != tc.want):
			t.Errorf("%q: error %v, or not the decoder ParseMediaType picks", tc.contentType, err)
		}
	}
}
