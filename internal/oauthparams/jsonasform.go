package oauthparams

import (
	"encoding/json"

	"github.com/mintauth/mint/oauth"
)

// errJSONAsForm answers the most common mistake in a token request: a JSON
// body sent with curl's -d, which labels it a form. Read as a form it holds
// one parameter named after the whole object, so without this the client
// would hear that it did not authenticate, which sends it looking for a
// wrong secret.
var errJSONAsForm = oauth.ErrInvalidRequest.Describe(
	"the body is a JSON object but was sent as application/x-www-form-urlencoded; " +
		"send it with the header Content-Type: application/json")

// jsonSentAsForm reports whether a body labelled as a form is clearly a
// JSON object instead: its first non-space byte is '{' and the whole of it
// is valid JSON. The form reading found none of the endpoint's parameters
// in it (the caller checks that), so no body that works as a form is
// refused.
func jsonSentAsForm(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return json.Valid(body)
		}
		return false
	}
	return false
}
