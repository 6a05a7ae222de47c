package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// TestClaimsAppendJSON: the hand-written payload is byte for byte what
// json.Marshal wrote before it, escapes included, an empty Subject being
// ClientID + "@clients".
func TestClaimsAppendJSON(t *testing.T) {
	for _, c := range []claims{
		{Issuer: testIssuer, Subject: "cli_x@clients", Audience: "https://api.eu.tocc.tech", IssuedAt: 1700000000,
			Expiry: 1700086400, ID: "AAECAwQFBgcICQoLDA0ODw", ClientID: "cli_x", AZP: "cli_x", GrantType: GrantTypeClaim,
			Scope: "read:orders write:orders"},
		{Issuer: testIssuer, Audience: "linkervision-api", IssuedAt: -1, Expiry: 0},
		{Issuer: testIssuer, ClientID: "cli_x", AZP: "cli_x", GrantType: GrantTypeClaim},
		{Issuer: testIssuer, ClientID: "q\"<&>\xc3\u2028\xff", GrantType: GrantTypeClaim},
		{Issuer: "https://a.test/?x=1&y=<2>", Subject: `quote" back\ tab	 nul` + "\x00", Audience: "é \u2028 \u2029 \xff \x7f",
			ID: "\ufffd", ClientID: "\x1f", AZP: "<script>", GrantType: "&amp;", Scope: "a\nb"},
	} {
		want := marshalClaims(t, c)
		if got := c.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON(%+v)\n got %s\nwant %s", c, got, want)
		}
		if l := asScopeList(c); !bytes.Equal(l.AppendJSON(nil), want) {
			got := l.AppendJSON(nil)
			t.Errorf("AppendJSON(%+v) with the scope as a list\n got %s\nwant %s", c, got, want)
		}
	}
}

// asScopeList is c with its scope as the list issue gives (Scopes), the
// same claim.
func asScopeList(c claims) claims {
	c.Scopes, c.Scope = strings.Split(c.Scope, " "), ""
	return c
}

func FuzzClaimsAppendJSON(f *testing.F) {
	f.Add(testIssuer, "cli_x@clients", "https://api.test", int64(1700000000), int64(1700003600), "jti", "cli_x", "read write")
	f.Add("&<>", "\"\\\x01", "\u2028\xff", int64(-1), int64(0), "\ufffd", "é", "")
	f.Add(testIssuer, "", "https://api.test", int64(1), int64(2), "jti", "cli_\xc3", "")
	f.Fuzz(func(t *testing.T, iss, sub, aud string, iat, exp int64, jti, clientID, scope string) {
		c := claims{Issuer: iss, Subject: sub, Audience: aud, IssuedAt: iat, Expiry: exp, ID: jti,
			ClientID: clientID, AZP: clientID, GrantType: GrantTypeClaim, Scope: scope}
		want := marshalClaims(t, c)
		if got := c.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%+v)\n got %q\nwant %q", c, got, want)
		}
		if l := asScopeList(c); !bytes.Equal(l.AppendJSON(nil), want) {
			got := l.AppendJSON(nil)
			t.Fatalf("AppendJSON(%+v) with the scope as a list\n got %q\nwant %q", c, got, want)
		}
	})
}

// marshalClaims is json.Marshal of c with its subject spelled out, as
// mint wrote payloads before AppendJSON.
func marshalClaims(t *testing.T, c claims) []byte {
	t.Helper()
	if c.Subject == "" {
		c.Subject = c.ClientID + "@clients"
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkClaimsPayload: the token payload by hand against json.Marshal,
// which wrote it before.
func BenchmarkClaimsPayload(b *testing.B) {
	c := claims{Issuer: testIssuer, Subject: "cli_0123456789abcdefABCDEF012345@clients", Audience: "https://api.eu.tocc.tech",
		IssuedAt: 1700000000, Expiry: 1700086400, ID: "AAECAwQFBgcICQoLDA0ODw", ClientID: "cli_0123456789abcdefABCDEF012345",
		AZP: "cli_0123456789abcdefABCDEF012345", GrantType: GrantTypeClaim, Scope: "read:orders write:orders"}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf [512]byte
		for b.Loop() {
			_ = c.AppendJSON(buf[:0])
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTokenIDs: token IDs are 16 bytes in base64url, and none repeats
// over several blocks of entropy taken from many goroutines at once.
func TestTokenIDs(t *testing.T) {
	const goroutines, each = 8, 3 * entropyBlock / 16
	ids := make(chan string, goroutines*each)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				ids <- newTokenID()
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if raw, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(raw) != 16 {
			t.Fatalf("token ID %q: %d bytes, %v", id, len(raw), err)
		}
		if seen[id] {
			t.Fatalf("token ID %q issued twice", id)
		}
		seen[id] = true
	}
}
