package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/server"
)

// Every way a call to the example API can fail, with real tokens from
// mint: the exact status, WWW-Authenticate challenge and seed 003 body.
func TestAPIRefusals(t *testing.T) {
	m := startMint(t, server.Config{})
	partner := dataloy(t, m, 86400)
	devPartner := m.createClient(t, "dev partner", grant{devAudience, []string{"read:cargo"}})
	devPartner.Audience = devAudience
	writer := m.createClient(t, "writer", grant{prodAudience, []string{"write:cargo"}})
	writer.Audience = prodAudience

	good := m.token(t, partner)
	devToken := m.token(t, devPartner)
	writeOnly := m.token(t, writer)

	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	api := startCargoAPI(t, m, prodAudience, 0, nil)
	apiTwoDaysOn := startCargoAPI(t, m, prodAudience, 0, later)

	const invalid = `Bearer error="invalid_token", error_description=`
	tests := []struct {
		name      string
		api       *cargoAPI
		auth      []string // Authorization headers
		path      string   // default seedQuery
		clock     func() time.Time
		status    int
		challenge string // "" means no WWW-Authenticate header
		message   string
	}{
		{name: "missing token", status: 401, challenge: "Bearer", message: "Token missing."},
		{name: "other scheme", auth: []string{"Basic cGFydG5lcjpzZWNyZXQ="},
			status: 401, challenge: "Bearer", message: "Token missing."},
		{name: "not a JWT", auth: []string{"Bearer not-a-jwt"}, status: 401,
			challenge: invalid + `"The access token is not a well-formed JWT."`, message: "Token malformed."},
		{name: "not a b64token", auth: []string{"Bearer {token}"}, status: 401,
			challenge: invalid + `"The access token is not a well-formed JWT."`, message: "Token malformed."},
		{name: "two Authorization headers", auth: []string{"Bearer " + good, "Bearer " + good}, status: 400,
			challenge: `Bearer error="invalid_request", error_description="The request has more than one Authorization header."`,
			message:   "Token malformed."},
		{name: "tampered signature", auth: []string{"Bearer " + tamper(good)}, status: 401,
			challenge: invalid + `"The access token signature is invalid."`, message: "Token signature invalid."},
		{name: "expired", api: apiTwoDaysOn, clock: later, auth: []string{"Bearer " + good}, status: 401,
			challenge: invalid + `"The access token expired."`, message: "Token expired."},
		{name: "token for dev used on production", auth: []string{"Bearer " + devToken}, status: 401,
			challenge: invalid + `"The access token is not meant for this resource."`, message: "Token audience invalid."},
		{name: "token lacking read:cargo", auth: []string{"Bearer " + writeOnly}, status: 403,
			challenge: `Bearer error="insufficient_scope", error_description="The access token lacks a scope this request requires.", scope="read:cargo"`,
			message:   "Token scope insufficient."},
		{name: "bad filter", auth: []string{"Bearer " + good}, path: "/ws/rest/Cargo?filter=subCargos.freight%28LIKE%2925",
			status: 400, message: `Filter subCargos.freight(LIKE)25 invalid: unknown operator "LIKE", want EQ, NE, GT, GTE, LT or LTE.`},
		{name: "unknown resource", auth: []string{"Bearer " + good}, path: "/ws/rest/Invoice",
			status: 404, message: "Resource Invoice not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.api == nil {
				tt.api = api
			}
			if tt.path == "" {
				tt.path = seedQuery
			}
			if tt.clock == nil {
				tt.clock = time.Now
			}
			req, _ := http.NewRequest("GET", tt.api.URL+tt.path, nil)
			req.Header["Authorization"] = tt.auth
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			want := nonEmpty(tt.challenge)
			if tt.challenge == "Bearer" {
				// No token: the API also offers DPoP (RFC 9449 §7.2).
				want = append(want, `DPoP algs="ES256 ES384 ES512 PS256 RS256 EdDSA"`)
			}
			if got := resp.Header.Values("WWW-Authenticate"); !slices.Equal(got, want) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			for h, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			checkSeedBody(t, resp.Body, seedBody{
				StatusCode: tt.status, StatusText: http.StatusText(tt.status), Message: tt.message,
				StatusFamily: "CLIENT_ERROR", Method: "GET", URI: tt.api.URL + tt.path,
			}, tt.clock)
		})
	}
}

// seedBody is seed 003's error body.
type seedBody struct {
	StatusCode   int    `json:"statusCode"`
	StatusText   string `json:"statusText"`
	Message      string `json:"message"`
	Date         string `json:"date"`
	StatusFamily string `json:"statusFamily"`
	Method       string `json:"method"`
	URI          string `json:"uri"`
}

// checkSeedBody compares every field but the date, which must be in the
// seed's layout (UTC, no zone) and within a few seconds of clock.
func checkSeedBody(t *testing.T, body io.Reader, want seedBody, clock func() time.Time) {
	t.Helper()
	raw, _ := io.ReadAll(body)
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var got seedBody
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	date, err := time.Parse(bearer.DateLayout, got.Date)
	if err != nil {
		t.Errorf("date %q is not in the layout %s", got.Date, bearer.DateLayout)
	}
	if d := date.Sub(clock().UTC()); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("date %s is %v away from the API's clock", got.Date, d)
	}
	got.Date = ""
	if got != want {
		t.Errorf("body = %+v\n want %+v", got, want)
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// tamper changes one character in the middle of a JWT's signature.
func tamper(jwt string) string {
	i := strings.LastIndexByte(jwt, '.') + (len(jwt)-strings.LastIndexByte(jwt, '.'))/2
	b := []byte(jwt)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
