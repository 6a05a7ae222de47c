package console

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
)

// fullRollup is six hours of a busy mint: every minute, 300 clients on 20
// APIs (more than a sketch holds), refusals of every reason, limit hits
// and a reuse sample.
func fullRollup(tb testing.TB) *dashboard.Rollup {
	tb.Helper()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := now
	r := dashboard.New(dashboard.Config{Now: func() time.Time { return at }})
	ids := make([]string, 300)
	for i := range ids {
		ids[i] = fmt.Sprintf("client-%03d", i)
	}
	for m := range dashboard.DefaultMinutes {
		at = now.Add(time.Duration(m-dashboard.DefaultMinutes+1) * time.Minute)
		for i, id := range ids {
			for range 1 + i%4 {
				r.Token(id, fmt.Sprintf("https://api-%02d.example", i%20), i%3 == 0)
			}
		}
		for _, code := range dashboard.Reasons {
			r.Refusal(code)
		}
		for _, l := range dashboard.Limits {
			r.LimitHit(l)
		}
		r.SampleLifetimes([]dashboard.LifetimeRate{{ClientID: ids[0], Audience: "https://api-00.example", Tokens: uint64(m%50 + 2)}})
	}
	at = now
	return r
}

// renderDashboard renders the page whole, as showDashboard does.
func renderDashboard(tb testing.TB, p *pages, snap dashboard.Snapshot) []byte {
	var buf bytes.Buffer
	d := dashboardData{Available: true, Hours: 6, Spans: dashboardSpans, Start: snap.Start, Charts: dashboardCharts(snap)}
	if err := p.byName["dashboard"].ExecuteTemplate(&buf, "layout", &view{Title: "Dashboard", Nav: "dashboard",
		Session: &session{ClientID: "admin", CSRF: "x"}, Data: d}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestDashboardFullPage: six full hours render every chart with at most
// the top series and "other", and a page of bounded size.
func TestDashboardFullPage(t *testing.T) {
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	snap := fullRollup(t).Snapshot(0, dashboardTop)
	for name, ss := range map[string][]dashboard.Series{"apis": snap.APIs, "clients": snap.Clients} {
		if len(ss) != dashboardTop+1 || ss[len(ss)-1].Name != dashboard.SeriesOther {
			t.Errorf("%s: %d series ending %q, want %d and other", name, len(ss), ss[len(ss)-1].Name, dashboardTop)
		}
	}
	page := renderDashboard(t, p, snap)
	if n := bytes.Count(page, []byte("<polyline")); n != 2+7+7+len(dashboard.Reasons)+len(dashboard.Limits)+1 {
		t.Errorf("%d lines drawn", n)
	}
	if len(page) > 2<<20 {
		t.Errorf("the page is %d bytes", len(page))
	}
	t.Logf("six full hours: %d KB of HTML", len(page)>>10)
}

// BenchmarkDashboardPage is reading six full hours and rendering the page.
func BenchmarkDashboardPage(b *testing.B) {
	p, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	r := fullRollup(b)
	b.ReportAllocs()
	for b.Loop() {
		renderDashboard(b, p, r.Snapshot(0, dashboardTop))
	}
}

// TestChartRows: the detailed table adds a span up in rows of round
// minutes (the newest row, still filling, and the oldest may be partial),
// at most 61, whose sums equal
// the series' totals; a gauge's row is its highest sample.
func TestChartRows(t *testing.T) {
	for _, tc := range []struct {
		minutes, step int
		start         time.Time
	}{
		{60, 1, time.Date(2026, 12, 7, 11, 1, 0, 0, time.UTC)},
		{180, 5, time.Date(2026, 12, 7, 9, 3, 0, 0, time.UTC)},
		{360, 10, time.Date(2026, 12, 7, 6, 7, 0, 0, time.UTC)},
		{360, 10, time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)},
	} {
		t.Run(fmt.Sprint(tc.minutes, tc.start.Format("15:04")), func(t *testing.T) {
			count := dashboard.Series{Name: "count", Points: make([]uint64, tc.minutes)}
			gauge := dashboard.Series{Name: "gauge", Points: make([]uint64, tc.minutes), Gauge: true}
			for i := range tc.minutes {
				count.Points[i] = uint64(i%7 + 1)
				count.Total += count.Points[i]
				gauge.Points[i] = uint64(i)
			}
			snap := dashboard.Snapshot{Start: tc.start, Minutes: tc.minutes}
			rows := minuteRows(snap, []dashboard.Series{count, gauge})
			if got := rowStep(tc.minutes); got != tc.step {
				t.Fatalf("step %d, want %d", got, tc.step)
			}
			if len(rows) > 61 {
				t.Errorf("%d rows", len(rows))
			}
			var sum uint64
			covered := 0
			for i, r := range rows {
				sum += r.Values[0]
				covered += r.Minutes
				oldest, newest := i == len(rows)-1, i == 0
				if !oldest && (r.Time.Minute()%tc.step != 0 || (!newest && r.Minutes != tc.step)) {
					t.Errorf("row %d: %s, %d minutes: not a round step", i, r.Time.Format("15:04"), r.Minutes)
				}
				last := int(r.Time.Sub(tc.start)/time.Minute) + r.Minutes - 1
				if r.Values[1] != uint64(last) {
					t.Errorf("row %d: gauge %d, want its highest sample %d", i, r.Values[1], last)
				}
			}
			if sum != count.Total || covered != tc.minutes {
				t.Errorf("rows add up to %d over %d minutes, want %d over %d", sum, covered, count.Total, tc.minutes)
			}
			if !rows[0].Time.Add(time.Duration(rows[0].Minutes) * time.Minute).Equal(tc.start.Add(time.Duration(tc.minutes) * time.Minute)) {
				t.Errorf("the newest row ends at %v", rows[0].Time.Add(time.Duration(rows[0].Minutes)*time.Minute))
			}
		})
	}
}
