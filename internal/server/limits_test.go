package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/golden"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
)

// The APIs of the limits tests: one plain, one with token reuse on.
var (
	limitsAPI = mint.API{ID: "api_limits", Name: "limits", Audience: "https://limits.test",
		Scopes: []string{"read", "write"}, TokenLifetime: time.Hour, SigningAlg: mint.AlgEdDSA}
	reuseAPI = mint.API{ID: "api_reuse", Name: "reuse", Audience: "https://reuse.test",
		Scopes: []string{"read", "write"}, TokenLifetime: time.Hour, SigningAlg: mint.AlgEdDSA, TokenReuse: true}
	reuseAPI2 = mint.API{ID: "api_reuse2", Name: "reuse 2", Audience: "https://reuse2.test",
		Scopes: []string{"read"}, TokenLifetime: time.Hour, SigningAlg: mint.AlgEdDSA, TokenReuse: true}
)

// replica is one mint serving over httptest.
type replica struct {
	srv *server.Server
	url string
}

func startReplica(t *testing.T, cfg server.Config) replica {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = "http://mint.test"
	}
	srv := newServer(t, cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return replica{srv: srv, url: ts.URL}
}

type limitsClient struct{ id, secret string }

// setUpLimits creates the three APIs (unless they exist) and a client
// with grants on them all.
func setUpLimits(t *testing.T, s mint.Store, perHour, perDay *int64) limitsClient {
	t.Helper()
	ctx := context.Background()
	for _, api := range []mint.API{limitsAPI, reuseAPI, reuseAPI2} {
		if _, err := s.GetAPI(ctx, api.ID); err != nil {
			api.CreatedAt, api.UpdatedAt = time.Now(), time.Now()
			mustDo(t, s.CreateAPI(ctx, api))
		}
	}
	plain, digest := secret.New()
	c := mint.Client{ID: mint.NewClientID(), Name: "limited", TokensPerHour: perHour, TokensPerDay: perDay,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	mustDo(t, s.CreateClient(ctx, c, mint.Secret{ID: mint.NewID("sec"), Digest: digest, CreatedAt: time.Now()}))
	for _, api := range []mint.API{limitsAPI, reuseAPI, reuseAPI2} {
		mustDo(t, s.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grt"), ClientID: c.ID, Audience: api.Audience,
			Scopes: api.Scopes, CreatedAt: time.Now(), UpdatedAt: time.Now()}))
	}
	return limitsClient{c.ID, plain}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type tokenAnswer struct {
	status int
	header http.Header
	body   []byte
	tok    struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Scope       string `json:"scope"`
	}
}

func askToken(t *testing.T, base string, c limitsClient, audience, scope string) tokenAnswer {
	t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret}, "audience": {audience}}
	if scope != "" {
		v.Set("scope", scope)
	}
	resp, err := http.PostForm(base+"/oauth/token", v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := tokenAnswer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	if a.status == http.StatusOK {
		mustDo(t, json.Unmarshal(a.body, &a.tok))
	}
	return a
}

// refusalGolden is a 429 as the golden files hold it: status, the headers
// of the refusal, body.
func refusalGolden(a tokenAnswer) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n", a.status)
	for _, h := range []string{"Content-Type", "Cache-Control", "Retry-After", "RateLimit-Policy", "RateLimit"} {
		fmt.Fprintf(&b, "%s: %s\n", h, a.header.Get(h))
	}
	b.WriteString("\n")
	b.Write(a.body)
	return b.Bytes()
}

// limitsNow is 10:39:26 UTC: 1234 s to the next hour, 48034 s to the next day.
var limitsNow = time.Date(2026, 3, 4, 10, 39, 26, 0, time.UTC)

func ptr(n int64) *int64 { return &n }

// TestLimitRefusals: over each limit the answer is 429 rate_limit_exceeded
// naming the limit, with Retry-After and the RateLimit fields (golden
// files in testdata/limits); limits are per client.
func TestLimitRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limits  server.LimitsConfig
		perHour *int64
		allowed int
	}{
		{"tokens_per_hour", server.LimitsConfig{TokensPerHour: 100}, ptr(3), 3},
		{"tokens_per_day", server.LimitsConfig{TokensPerDay: 2}, nil, 2},
		{"rate", server.LimitsConfig{Rate: 0.5, Burst: 2}, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startReplica(t, server.Config{Limits: tc.limits, Now: func() time.Time { return limitsNow }})
			c := setUpLimits(t, r.srv.Store(), tc.perHour, nil)
			other := setUpLimits(t, r.srv.Store(), tc.perHour, nil)
			for i := range tc.allowed {
				if a := askToken(t, r.url, c, limitsAPI.Audience, ""); a.status != 200 {
					t.Fatalf("token %d: %d %s", i+1, a.status, a.body)
				}
			}
			a := askToken(t, r.url, c, limitsAPI.Audience, "")
			golden.Assert(t, "testdata/limits/"+tc.name+".txt", refusalGolden(a))
			if a := askToken(t, r.url, other, limitsAPI.Audience, ""); a.status != 200 {
				t.Errorf("another client: %d %s", a.status, a.body)
			}
		})
	}
}

// TestLimitWrongSecretSpendsNothing: failed authentications do not use up
// the client's quota (they are the auth throttle's business).
func TestLimitWrongSecretSpendsNothing(t *testing.T) {
	r := startReplica(t, server.Config{Limits: server.LimitsConfig{TokensPerHour: 2, Rate: 1, Burst: 2}})
	c := setUpLimits(t, r.srv.Store(), nil, nil)
	for range 5 {
		askToken(t, r.url, limitsClient{c.id, "mint_wrong"}, limitsAPI.Audience, "")
	}
	for i := range 2 {
		if a := askToken(t, r.url, c, limitsAPI.Audience, ""); a.status != 200 {
			t.Fatalf("token %d after wrong secrets: %d %s", i+1, a.status, a.body)
		}
	}
}

// TestLimitObserve: observe mode issues every token, logs one warning per
// client, limit and window, and counts each excess in the metric.
func TestLimitObserve(t *testing.T) {
	var logs lockedLog
	r := startReplica(t, server.Config{Limits: server.LimitsConfig{Observe: true, TokensPerHour: 2},
		Log: logs.logger()})
	c := setUpLimits(t, r.srv.Store(), nil, nil)
	for i := range 5 {
		if a := askToken(t, r.url, c, limitsAPI.Audience, ""); a.status != 200 {
			t.Fatalf("token %d in observe mode: %d %s", i+1, a.status, a.body)
		}
	}
	if n := strings.Count(logs.String(), "limit exceeded (observe mode: not refused)"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
	mts := httptest.NewServer(r.srv.MetricsHandler())
	defer mts.Close()
	resp, err := http.Get(mts.URL + "/metrics")
	mustDo(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := fmt.Sprintf(`mint_limit_exceeded_total{client_id=%q,limit="tokens_per_hour"} 3`, c.id)
	if !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %s", want)
	}
}

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
