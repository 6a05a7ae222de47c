package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// BenchmarkIssueVsSign puts issue 15's in-process ratio, Issue / Sign, in
// one process, so that both sides share the machine's state of the
// moment. Per algorithm (EdDSA, ES256):
//
//   - sign: the key ring's Sign of the payload of a token the endpoint
//     issued, with the key that signed it: the same key and the same
//     claims size as the tokens issue signs (keyring's BenchmarkSign signs
//     a payload of its own);
//
//   - json_post, form_basic: BenchmarkIssue's requests, audit append and
//     issuance log included, with the appender writing beside them;
//
//   - alternated/json_post, alternated/form_basic: blocks of 64 signatures
//     and 64 requests in turn, each block timed, reporting sign-ns/op,
//     issue-ns/op and their ratio issue/sign; a drift of a shared
//     machine weighs on both alike. (ns/op is their mean.)
//
//     go test -run '^$' -bench IssueVsSign -benchmem -count 3 ./internal/token/
func BenchmarkIssueVsSign(b *testing.B) {
	mintServeGC(b)
	f := newFixture(b)
	e, appender := servedEndpoint(b, f)
	ctx := context.Background()
	for _, alg := range []string{mint.AlgEdDSA, mint.AlgES256} {
		api := mint.API{ID: "api_vs_" + alg, Name: "vs " + alg, Audience: "https://bench.test/" + alg,
			Scopes: []string{"read:orders", "write:orders"}, SigningAlg: alg}
		f.must(b, f.store.CreateAPI(ctx, api))
		c := f.client(b, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
		reqs := []struct {
			name string
			req  httpCase
		}{
			{"json_post", jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
				c.ID, c.Secret, api.Audience))},
			{"form_basic", basicForm(c, "audience", api.Audience, "scope", "read:orders")},
		}
		payload := issuedPayload(b, e, reqs[0].req)
		sign := func() {
			if _, err := f.ring.Sign(ctx, alg, payload); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(alg+"/sign", func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				sign()
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
		for _, rc := range reqs {
			b.Run(alg+"/"+rc.name, func(b *testing.B) { benchIssue(b, e, appender, rc.req) })
		}
		for _, rc := range reqs {
			b.Run(alg+"/alternated/"+rc.name, func(b *testing.B) {
				r, body, w := reusedRequest(rc.req)
				issue := func() {
					body.Reset()
					w.reset()
					e.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Fatalf("status %d: %s", w.code, w.body.Bytes())
					}
				}
				benchAlternated(b, sign, issue)
			})
		}
	}
}

// benchAlternated runs sign and issue in alternate blocks, one call per
// iteration, and reports the mean wall time of each, the mean CPU time of
// the benchmark's own thread (it is locked to one) and issue's over
// sign's of both. The thread's CPU time is the request path's, without
// the appender's batch writes (another goroutine) and without the time
// other processes of a loaded machine ran, which wall time counts. Only
// whole pairs of blocks are counted, so that both sides have as many
// calls.
func benchAlternated(b *testing.B, sign, issue func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const block = 64
	var wall, cpu [2]time.Duration
	var calls [2]int
	var lastWall, lastCPU time.Duration // the last block's
	i := 0
	start, startCPU := time.Now(), threadCPU()
	for b.Loop() {
		side := (i / block) % 2
		if side == 0 {
			sign()
		} else {
			issue()
		}
		i++
		if i%block == 0 {
			now, nowCPU := time.Now(), threadCPU()
			lastWall, lastCPU = now.Sub(start), nowCPU-startCPU
			wall[side] += lastWall
			cpu[side] += lastCPU
			calls[side] += block
			start, startCPU = now, nowCPU
		}
	}
	if calls[1] == 0 {
		return // too short a run to say: -benchtime of at least 128x
	}
	if calls[0] > calls[1] { // the last sign block had no issue block after it
		wall[0] -= lastWall
		cpu[0] -= lastCPU
		calls[0] -= block
	}
	per := func(d time.Duration, n int) float64 { return float64(d) / float64(n) }
	b.ReportMetric(per(wall[0], calls[0]), "sign-ns/op")
	b.ReportMetric(per(wall[1], calls[1]), "issue-ns/op")
	b.ReportMetric(per(wall[1], calls[1])/per(wall[0], calls[0]), "issue/sign")
	if cpu[0] > 0 {
		b.ReportMetric(per(cpu[0], calls[0]), "sign-cpu-ns/op")
		b.ReportMetric(per(cpu[1], calls[1]), "issue-cpu-ns/op")
		b.ReportMetric(per(cpu[1], calls[1])/per(cpu[0], calls[0]), "issue/sign-cpu")
	}
}

// issuedPayload is the JWT payload of a token the endpoint issues for req.
func issuedPayload(tb testing.TB, e *Endpoint, req httpCase) []byte {
	tb.Helper()
	r, body, w := reusedRequest(req)
	body.Reset()
	e.ServeHTTP(w, r)
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.body.Bytes(), &resp); err != nil || w.code != http.StatusOK {
		tb.Fatalf("status %d, %v: %s", w.code, err, w.body.Bytes())
	}
	parts := strings.Split(resp.AccessToken, ".")
	if len(parts) != 3 {
		tb.Fatalf("token has %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}
