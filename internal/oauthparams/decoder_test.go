package oauthparams

import "testing"

// TestMediaTypeFastPathAgrees: the bare media types skip
// mime.ParseMediaType, and choose what it would have; spellings with
// parameters, case or spaces still go through it.
func TestMediaTypeFastPathAgrees(t *testing.T) {
	const form, json, refused = "form", "JSON", "refused"
	var s Spec
	for _, tc := range []struct{ contentType, want string }{
		{"application/json", json},
		{"application/x-www-form-urlencoded", form},
		{"Application/JSON", json},
		{"application/json; charset=utf-8", json},
		{"application/json; charset=latin1", refused},
		{"application/x-www-form-urlencoded;charset=UTF-8", form},
		{" application/json", json},
		{"application/json ", json},
		{"text/plain", refused},
		{"", refused},
	} {
		isJSON, err := s.isJSON(tc.contentType)
		got := form
		switch {
		case err != nil:
			got = refused
		case isJSON:
			got = json
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.contentType, got, tc.want)
		}
	}
}
