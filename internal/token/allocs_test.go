package token

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// issueAllocs pins the heap allocations of one token request on the hot
// path, per algorithm: parse a JSON request, authenticate through the
// store cache, resolve the grant, build and sign the claims, encode the
// answer, log the issuance and queue its audit record. The harness
// allocates nothing per request (reusedRequest).
//
// A change that adds an allocation fails TestIssueAllocations. A change
// that removes some makes it log the lower count: lower the pin here to
// that number in the same commit, so the gain is kept.
var issueAllocs = map[string]float64{
	mint.AlgEdDSA: 7,
	mint.AlgES256: 67,
}

// issueFormAllocs is issueAllocs for a form body with HTTP Basic and a
// scope, BenchmarkIssue's form_basic.
var issueFormAllocs = map[string]float64{
	mint.AlgEdDSA: 8,
	mint.AlgES256: 68,
}

// TestIssueAllocations: the hot path allocates no more than issueAllocs.
// testing.AllocsPerRun counts whole allocations per run, which makes the
// count deterministic; the appender is not running, so its batch writes
// (off the request path) do not count, and the test checks that every
// run did queue its record.
func TestIssueAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a SQLite store")
	}
	if raceEnabled {
		t.Skip("the race detector allocates, a varying number: scripts/test runs this test without it")
	}
	f := newFixture(t)
	appender := &audit.Appender{Store: f.store, Log: discardJSON()}
	e := servedEndpointWith(f, appender)
	for alg := range issueAllocs {
		api := mint.API{ID: "api_allocs_" + alg, Name: "allocs " + alg, Audience: "https://allocs.test/" + alg,
			Scopes: []string{"read:orders", "write:orders"}, SigningAlg: alg}
		f.must(t, f.store.CreateAPI(context.Background(), api))
		c := f.client(t, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
		for _, tc := range []struct {
			name string
			req  httpCase
			pin  float64
		}{
			{alg, jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
				c.ID, c.Secret, api.Audience)), issueAllocs[alg]},
			{alg + "/form_basic", basicForm(c, "audience", api.Audience, "scope", "read:orders"), issueFormAllocs[alg]},
		} {
			t.Run(tc.name, func(t *testing.T) { checkIssueAllocs(t, e, appender, tc.req, tc.pin) })
		}
	}
}

// checkIssueAllocs runs req through e and compares its allocations per
// token with pin.
func checkIssueAllocs(t *testing.T, e *Endpoint, appender *audit.Appender, req httpCase, pin float64) {
	r, body, w := reusedRequest(req)
	const runs = 200
	queued := appender.Pending()
	got := testing.AllocsPerRun(runs, func() {
		body.Reset()
		w.reset()
		e.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			t.Fatalf("status %d: %s", w.code, w.body.Bytes())
		}
	})
	if n := appender.Pending() - queued; n != runs+1 { // AllocsPerRun warms up with one run
		t.Fatalf("%d audit records queued for %d tokens: the hot path measured is not the audited one", n, runs+1)
	}
	switch {
	case got > pin:
		t.Errorf("%v allocations per token, pinned at %v: find what allocates (go test -run '^$' -bench 'Issue/ALG/json_post' -memprofile mem.out -memprofilerate 1 ./internal/token/)",
			got, pin)
	case got < pin:
		t.Logf("%v allocations per token, fewer than the pin (%v): lower issueAllocs or issueFormAllocs to keep the gain", got, pin)
	}
}

// reusedWriter is a ResponseWriter whose header map and body buffer are
// kept from one request to the next, so that the count is of mint's
// allocations rather than a recorder's.
type reusedWriter struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (w *reusedWriter) Header() http.Header { return w.header }

func (w *reusedWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *reusedWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *reusedWriter) reset() {
	clear(w.header)
	w.body.Reset()
	w.code = 0
}
