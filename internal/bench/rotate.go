package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Credentials are one client's, for a rotating run: each request names the
// next client of the list, so that the load spreads over all of them, as
// many partners' programs spread it, and no cache sees one hot client.
type Credentials struct {
	ClientID     string
	ClientSecret string
	Audience     string // empty: none sent
}

// RotateConfig is one rotating load run.
type RotateConfig struct {
	URL         string // the token endpoint
	Clients     []Credentials
	Connections int
	Duration    time.Duration
	Warmup      time.Duration
	// MetricsURL, when set, is mint's /metrics: its audit drop counter is
	// read before and after the run.
	MetricsURL string
	// Writes, when set, are admin writes made during the run (on another
	// replica, typically).
	Writes *AdminWrites
}

// RotateReport is what a rotating run measured.
type RotateReport struct {
	Clients     int    `json:"clients"`
	Connections int    `json:"connections"`
	Result      Result `json:"result"`
	// AuditDropped is how many issuance records the server's audit log
	// dropped during the run (mint_audit_dropped_total after minus
	// before), or -1 when it could not be read.
	AuditDropped int64 `json:"audit_dropped"`
	// AuditNote says why AuditDropped is -1.
	AuditNote string `json:"audit_note,omitempty"`
	// Writes is what RotateConfig.Writes did, when set.
	Writes *WritesReport `json:"admin_writes,omitempty"`
}

// Rotate sends token requests on cfg.Connections connections, each naming
// the next client of cfg.Clients in turn (round robin over the whole list,
// shared by every connection), for cfg.Warmup and then cfg.Duration, and
// reports what the Duration part measured.
func Rotate(ctx context.Context, cfg RotateConfig) (RotateReport, error) {
	if len(cfg.Clients) == 0 {
		return RotateReport{}, errors.New("no clients to rotate over")
	}
	if cfg.Duration <= 0 {
		return RotateReport{}, errors.New("the duration must be positive")
	}
	u, err := url.ParseRequestURI(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return RotateReport{}, fmt.Errorf("bad token URL %q", cfg.URL)
	}
	rep := RotateReport{Clients: len(cfg.Clients), Connections: max(cfg.Connections, 1), AuditDropped: -1}
	var wr *writer
	if cfg.Writes != nil {
		if wr, err = newWriter(ctx, *cfg.Writes, cfg.Clients); err != nil {
			return RotateReport{}, err
		}
	}
	before, beforeErr := auditDropped(ctx, cfg.MetricsURL)
	t, err := rotate(ctx, cfg, u, wr)
	if err != nil {
		return RotateReport{}, err
	}
	rep.Result = t.result()
	if wr != nil {
		rep.Writes = &wr.rep
	}
	// Read even when ctx ended the run early: what it measured is reported.
	after, afterErr := auditDropped(context.WithoutCancel(ctx), cfg.MetricsURL)
	switch err := errors.Join(beforeErr, afterErr); {
	case cfg.MetricsURL == "":
		rep.AuditNote = "no --metrics-url"
	case err != nil:
		rep.AuditNote = err.Error()
	default:
		rep.AuditDropped = after - before
	}
	return rep, nil
}

// rotate drives the load, and wr's writes when wr is not nil, over the
// same window.
func rotate(ctx context.Context, cfg RotateConfig, u *url.URL, wr *writer) (*tally, error) {
	conns := max(cfg.Connections, 1)
	start := time.Now()
	w := window{from: start.Add(cfg.Warmup), to: start.Add(cfg.Warmup + cfg.Duration)}
	deadline := w.to.Add(grace)
	var next atomic.Uint64
	tallies := make([]*tally, conns)
	var wg sync.WaitGroup
	for i := range conns {
		// The request's bytes are set before each send (rotatingSend).
		wc, stop, err := newWireConn(ctx, &tokenRequest{url: cfg.URL})
		if err != nil {
			return nil, err
		}
		defer stop()
		tallies[i] = new(tally)
		wg.Go(func() {
			driveRotating(ctx, wc, u, cfg.Clients, &next, deadline, w, tallies[i])
		})
	}
	if wr != nil {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		wg.Go(func() { wr.run(wctx, w) })
	}
	wg.Wait()
	total := new(tally)
	for _, t := range tallies {
		total.merge(t)
	}
	end := w.to
	if now := time.Now(); ctx.Err() != nil && now.Before(end) {
		end = now
	}
	total.window = max(end.Sub(w.from), 0)
	return total, nil
}

// driveRotating is drive with the next client's request on each send.
func driveRotating(ctx context.Context, wc *wireConn, u *url.URL, clients []Credentials, next *atomic.Uint64,
	deadline time.Time, w window, t *tally) {
	var buf bytes.Buffer
	req := make([]byte, 0, 512)
	for ctx.Err() == nil {
		c := clients[(next.Add(1)-1)%uint64(len(clients))]
		req = appendTokenRequest(req[:0], u, c)
		wc.req = req
		sent := time.Now()
		if !sent.Before(w.to) {
			return
		}
		err := wc.send(deadline, &buf)
		took := time.Since(sent)
		if sent.Before(w.from) || ctx.Err() != nil {
			continue
		}
		t.requests++
		if err != nil {
			t.errors++
			t.addSample(err.Error())
			continue
		}
		t.hist.record(took)
	}
}

// appendTokenRequest appends the HTTP/1.1 request of c's token request, a
// JSON body as Auth0's snippets send, to b.
func appendTokenRequest(b []byte, u *url.URL, c Credentials) []byte {
	body := make([]byte, 0, 256)
	body = append(body, `{"grant_type":"client_credentials","client_id":`...)
	body = strconv.AppendQuote(body, c.ClientID)
	body = append(body, `,"client_secret":`...)
	body = strconv.AppendQuote(body, c.ClientSecret)
	if c.Audience != "" {
		body = append(body, `,"audience":`...)
		body = strconv.AppendQuote(body, c.Audience)
	}
	body = append(body, '}')
	b = fmt.Appendf(b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mint-bench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		u.RequestURI(), u.Host, len(body))
	return append(b, body...)
}

// clientLine is the part of a `mint import clients` line a rotating run
// needs: the credentials and the first grant's audience.
type clientLine struct {
	ClientID string `json:"client_id"`
	Secret   string `json:"secret"`
	Grants   []struct {
		Audience string `json:"audience"`
	} `json:"grants"`
}

// ParseClientLine reads one line of a clients file (the JSON Lines of
// `mint import clients`) as credentials, asking for its first grant's
// audience.
func ParseClientLine(line []byte) (Credentials, error) {
	var l clientLine
	if err := json.Unmarshal(line, &l); err != nil {
		return Credentials{}, errors.New("not a JSON object of client_id, secret and grants")
	}
	if l.ClientID == "" || l.Secret == "" {
		return Credentials{}, errors.New("client_id and secret are required")
	}
	c := Credentials{ClientID: l.ClientID, ClientSecret: l.Secret}
	if len(l.Grants) > 0 {
		c.Audience = l.Grants[0].Audience
	}
	return c, nil
}
