package dpop

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// FuzzCheck feeds any header value to the checker: it must refuse or
// accept without panicking, and never accept a proof it cannot explain.
func FuzzCheck(f *testing.F) {
	f.Add(forge{claims: goodClaims()}.sign(f))
	f.Add(forge{claims: with(goodClaims(), "ath", "x")}.sign(f))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	c := &Checker{Now: func() time.Time { return testNow }, Replay: NewMemory(1000)}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := c.Check(context.Background(), http.Header{"Dpop": {raw}}, Request{Method: "POST", URL: "https://api.example/v1/things"})
		if err == nil && (p == nil || p.JKT == "" || p.Method != "POST") {
			t.Fatalf("accepted %q as %+v", raw, p)
		}
	})
}

// FuzzNormalizeURL: normalizing is idempotent and never panics.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"https://api.example/v1", "HTTP://a:80/%7e%2f?q#f", "https://[::1]/", "%", "http://a/%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		n, err := NormalizeURL(u)
		if err != nil {
			return
		}
		again, err := NormalizeURL(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeURL(%q) = %q, then %q, %v", u, n, again, err)
		}
	})
}
