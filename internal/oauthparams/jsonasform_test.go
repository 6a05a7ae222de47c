package oauthparams

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestJSONSentAsForm: a JSON object sent under the form's Content-Type
// (curl -d '{…}') is answered with the header to set, in every shape it
// comes in, while every body that reads as a form with one of the
// endpoint's parameters reads as before.
func TestJSONSentAsForm(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	creds := `"client_id":"a","client_secret":"b","grant_type":"client_credentials"`
	refused := []struct{ name, contentType, body string }{
		{"curl -d", form, `{` + creds + `}`},
		{"pretty, leading newline", form, "\n  {\n    " + strings.ReplaceAll(creds, ",", ",\n    ") + "\n  }\n"},
		{"with charset", form + "; charset=utf-8", `{` + creds + `}`},
		{"an & in a value", form, `{` + creds + `,"client_secret":"x&y=z"}`},
		{"a bad escape in a value", form, `{` + creds + `,"audience":"https://api/%zz"}`},
		{"a semicolon in a value", form, `{"client_secret":"a;b"}`},
		{"a plus in a value", form, `{"client_secret":"a+b=="}`},
		{"empty object", form, `{}`},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			_, err := formSpec.Read(post(tc.contentType, tc.body))
			if err != error(errJSONAsForm) {
				t.Fatalf("err = %v, want %v", err, errJSONAsForm)
			}
		})
	}
	read := []struct {
		name, contentType, body string
		want                    Params
	}{
		{"a form", form, "grant_type=client_credentials&client_id=a&client_secret=b",
			Params{"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}},
		{"a form whose value is JSON", form, "client_id=" + url.QueryEscape(`{"a":1}`),
			Params{"client_id": `{"a":1}`}},
		{"a form whose first value starts with {", form, `client_id={"a":1}&client_secret=b`,
			Params{"client_id": `{"a":1}`, "client_secret": "b"}},
		{"a JSON object that also reads as a form with a parameter", form, `{"x":"&grant_type=client_credentials&y=","z":1}`,
			Params{"grant_type": "client_credentials"}},
		{"an empty form", form, "", Params{}},
		{"a JSON array is not an object", form, `[{` + creds + `}]`, Params{}},
		{"not JSON", form, `{"client_id":"a"`, Params{}},
		{"the same JSON as JSON", "application/json", `{` + creds + `}`,
			Params{"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}},
	}
	for _, tc := range read {
		t.Run("read/"+tc.name, func(t *testing.T) {
			p, err := formSpec.Read(post(tc.contentType, tc.body))
			if err != nil || !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("got %v, %v; want %v", p, err, tc.want)
			}
		})
	}
}

// FuzzJSONSentAsForm: a form body is refused as JSON only when it is a
// JSON object in which the form reading finds none of the parameters.
func FuzzJSONSentAsForm(f *testing.F) {
	for _, s := range append(jsonSeeds, "client_id=a&client_secret=b", `client_id={"a":1}`, `{"x":"&client_id=a"}`, "a=%zz;b") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := testSpec.decodeForm(Params{}, body)
		if err != error(errJSONAsForm) {
			return
		}
		values, perr := url.ParseQuery(string(body))
		for name := range values {
			if perr == nil && testSpec.Known(name) {
				t.Fatalf("body %q has the parameter %q, yet was refused as JSON", body, name)
			}
		}
		if !jsonSentAsForm(body) {
			t.Fatalf("body %q is not a JSON object, yet was refused as one", body)
		}
	})
}

// formSpec is testSpec with a body limit, for Read.
var formSpec = func() Spec { s := testSpec; s.MaxBytes = 1 << 10; return s }()

func post(contentType, body string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}
