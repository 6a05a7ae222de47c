package token

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/logline"
)

// TestIssuanceLineTimeIsTheTokens: with the real clock (Now nil), the
// issuance line is written at the time the token's claims were made, the
// one clock read of the request: the line's second is the token's iat.
func TestIssuanceLineTimeIsTheTokens(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	e := servedEndpointWith(f, &audit.Appender{Store: f.store})
	e.Now = nil
	e.Log = slog.New(logline.New(&buf, "json", nil))
	payload := issuedPayload(t, e, basicForm(f.multi, "audience", apiTOCC.Audience))
	var claims struct {
		IAT int64  `json:"iat"`
		JTI string `json:"jti"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Time time.Time `json:"time"`
		JTI  string    `json:"jti"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if line.JTI != claims.JTI || line.Time.Unix() != claims.IAT {
		t.Errorf("line at %v (second %d) for jti %s; token iat %d, jti %s", line.Time, line.Time.Unix(), line.JTI, claims.IAT, claims.JTI)
	}
}
