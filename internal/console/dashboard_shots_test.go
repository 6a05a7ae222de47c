package console_test

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/throttle"
)

// steppedClock is a clock a test moves forward.
type steppedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppedClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *steppedClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// startMintClocked is startMint on a clock of the test's.
func startMintClocked(t *testing.T, now func() time.Time) *testMint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: base, MasterKey: masterKey,
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret, Now: now,
		// The failure throttle counts on the wall clock, where three
		// hours of this clock's wrong secrets take seconds.
		AuthThrottle: throttle.Config{PairLimit: 1 << 20, SourceLimit: 1 << 20},
	})
	if err != nil {
		ln.Close()
		t.Fatalf("server.New: %v", err)
	}
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv.Handler()}}
	hs.Start()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &testMint{URL: base, srv: srv}
}

// TestBrowserDashboardScreenshots writes docs/console/dashboard-*.png when
// run with -screenshots: three hours of a small deployment's traffic, sent
// over HTTP to a mint whose clock the test moves a minute at a time.
func TestBrowserDashboardScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write docs/console/dashboard-*.png")
	}
	end := time.Now().UTC().Truncate(time.Minute)
	clock := &steppedClock{t: end.Add(-3 * time.Hour)}
	m := startMintClocked(t, clock.now)
	cargo := newPartner(t, m, "Cargo", "https://cargo.example")
	fleet := newPartner(t, m, "Fleet", "https://fleet.example")
	billing := newPartner(t, m, "Billing", "https://billing.example")
	m.admin(t, "PATCH", "/admin/v1/clients/"+billing.ID, map[string]any{"tokens_per_hour": 45}, nil)
	for minute := range 180 {
		clock.set(end.Add(time.Duration(minute-180)*time.Minute + time.Second))
		wave := math.Sin(float64(minute) / 20)
		traffic{tokens: 3 + int(2*wave)}.send(t, m, cargo)
		traffic{tokens: 1 + minute%3}.send(t, m, fleet)
		if minute%5 == 0 {
			traffic{badSecret: 1 + minute%3}.send(t, m, cargo)
		}
		if minute%11 == 0 {
			traffic{badAudience: 2}.send(t, m, fleet)
		}
		m.token(t, billing.ID, billing.Secret, billing.Audience) // 60 an hour, over its 45
		m.srv.DashboardSnapshot(1, 1)                            // the reuse sample, a minute of this clock
	}
	clock.set(end.Add(30 * time.Second))
	for _, width := range []int64{1280, 390} {
		ctx := newBrowser(t, time.Minute)
		suffix := "-laptop"
		if width < 600 {
			suffix = "-phone"
		}
		run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800), chromedp.Navigate(m.URL+"/console/sign-in"), waitPath("/console/sign-in"))
		signInWithKeyboard(t, ctx)
		run(t, ctx, "dashboard", chromedp.Navigate(m.URL+"/console/dashboard?hours=3"), waitFor(`document.readyState === "complete"`))
		writeShot(t, ctx, "dashboard"+suffix)
	}
}
