package console

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
)

// dashboardSpans are the spans the dashboard offers, in hours; the first
// is the default.
var dashboardSpans = []int{6, 3, 1}

// dashboardTop is how many APIs, clients and client and API pairs a chart
// names; the rest of the tokens are one "other" line.
const dashboardTop = 6

// dashboardScope is the admin scope the dashboard needs: its numbers are
// the token requests the audit log records, client ids included.
const dashboardScope = "audit:read"

type dashboardData struct {
	// Available is false when this mint keeps no numbers (no Dashboard).
	Available bool
	Hours     int
	Spans     []int
	Start     time.Time
	End       time.Time
	Charts    []chart
}

// showDashboard draws the last hours of the token endpoint, as this
// replica saw them. The numbers come from the server, not from the admin
// API, so the admin API is asked first whether the session's token may
// read the audit log: the same scope check, liveness and revocation as
// every other page.
func (c *Console) showDashboard(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := c.mayReadDashboard(r, sess); err != nil {
		var e *apiError
		if errors.As(err, &e) && e.Status == http.StatusForbidden {
			c.renderPage(w, r, sess, http.StatusForbidden, "error", "dashboard", "Not allowed", errorData{
				Code:    e.Code,
				Message: "The dashboard shows every client's token requests, as the audit log does: this admin client needs the " + dashboardScope + " scope on the admin API to see it."})
			return nil
		}
		return err
	}
	hours := dashboardSpans[0]
	if h, err := strconv.Atoi(r.URL.Query().Get("hours")); err == nil && validSpan(h) {
		hours = h
	}
	d := dashboardData{Available: c.cfg.Dashboard != nil, Hours: hours, Spans: dashboardSpans}
	if d.Available {
		snap := c.cfg.Dashboard(hours*60, dashboardTop)
		d.Start, d.End = snap.Start, snap.Start.Add(time.Duration(snap.Minutes)*time.Minute)
		d.Charts = dashboardCharts(snap)
	}
	c.renderPage(w, r, sess, http.StatusOK, "dashboard", "dashboard", "Dashboard", d)
	return nil
}

func validSpan(h int) bool {
	for _, s := range dashboardSpans {
		if s == h {
			return true
		}
	}
	return false
}

// mayReadDashboard asks the admin API whether the session may read the
// audit log; a mint without one asks about clients instead.
func (c *Console) mayReadDashboard(r *http.Request, sess *session) error {
	err := c.backend.call(r.Context(), r, http.MethodGet, "/admin/v1/audit?limit=1", sess.Token, nil, nil)
	var e *apiError
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		return c.backend.call(r.Context(), r, http.MethodGet, "/admin/v1/clients?limit=1", sess.Token, nil, nil)
	}
	return err
}

func dashboardCharts(snap dashboard.Snapshot) []chart {
	return []chart{
		newChart("chart-tokens", "Tokens a minute",
			"Tokens the token endpoint answered each minute: signed anew, or reused (a token issued before, handed out again).",
			"tokens", snap, snap.Tokens),
		newChart("chart-apis", "Tokens a minute by API",
			"The APIs (audiences) that took the most tokens over the span; “other” is the rest.",
			"tokens", snap, snap.APIs),
		newChart("chart-clients", "Tokens a minute by client",
			"The clients that took the most tokens over the span; “other” is the rest.",
			"tokens", snap, snap.Clients),
		newChart("chart-refusals", "Refusals a minute by reason",
			"Token requests refused, by the error code answered (invalid_client: wrong credentials; invalid_scope, invalid_target: asked for more than the grant; rate_limit_exceeded: over a limit).",
			"refusals", snap, snap.Refusals),
		newChart("chart-limits", "Rate-limit hits a minute",
			"Requests over a per-client limit (rate, tokens_per_hour, tokens_per_day), refused or, in observe mode, only counted.",
			"hits", snap, snap.Limits),
		newChart("chart-reuse", "Clients that do not reuse their tokens",
			"Tokens each client took for an API during the last token lifetime, sampled each minute; a client that reuses its token until it expires takes 1. Only pairs above 1 are shown.",
			"tokens per lifetime", snap, snap.Lifetimes),
	}
}
