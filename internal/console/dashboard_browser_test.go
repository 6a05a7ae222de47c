package console_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chartValuesJS reads back, from the SVG the browser laid out, the value
// each polyline plots per minute (inverting the y of its points with the
// chart's scale), and sums them per series.
const chartValuesJS = `(() => {
	const out = {};
	for (const svg of document.querySelectorAll("section.chart svg.plot")) {
		const ymax = Number(svg.dataset.ymax), base = Number(svg.dataset.baseline), h = Number(svg.dataset.height);
		const id = svg.closest("section").id;
		out[id] = {};
		for (const line of svg.querySelectorAll("polyline")) {
			let sum = 0, n = 0;
			for (const p of line.points) { sum += Math.round((base - p.y) * ymax / h); n++; }
			out[id][line.dataset.series] = {sum: sum, points: n, total: Number(line.dataset.total)};
		}
	}
	return out;
})()`

type plotted struct {
	Sum, Points, Total int
}

// TestBrowserDashboard issues real tokens and refusals over HTTP, then
// opens the dashboard in headless Chromium: the lines the browser draws
// plot the counts sent (read back from the laid-out SVG), and a
// screenshot of each chart that has data has coloured line pixels in it,
// where a blank or unstyled chart has none.
func TestBrowserDashboard(t *testing.T) {
	m := startMint(t)
	cargo := newPartner(t, m, "Cargo", "https://cargo.example")
	fleet := newPartner(t, m, "Fleet", "https://fleet.example")
	traffic{tokens: 9, badSecret: 4, badAudience: 2}.send(t, m, cargo)
	traffic{tokens: 3, badAudience: 1}.send(t, m, fleet)

	ctx := newBrowser(t, time.Minute)
	run(t, ctx, "sign in", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(m.URL+"/console/sign-in"), waitPath("/console/sign-in"))
	signInWithKeyboard(t, ctx)
	run(t, ctx, "open the dashboard from the navigation",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/dashboard"]`)), waitPath("/console/dashboard"))

	got := value(t, ctx, "read the plotted values", chromedp.Evaluate[map[string]map[string]plotted](chartValuesJS))
	perMinutes := 6 * 60
	for _, want := range []struct {
		chart, series string
		n             int
	}{
		{"chart-clients", cargo.ID, 9}, {"chart-clients", fleet.ID, 3},
		{"chart-apis", cargo.Audience, 9}, {"chart-apis", fleet.Audience, 3},
		{"chart-refusals", "invalid_client", 4}, {"chart-refusals", "invalid_target", 3},
	} {
		p, ok := got[want.chart][want.series]
		if !ok {
			t.Errorf("%s: no line for %s among %v", want.chart, want.series, got[want.chart])
			continue
		}
		if p.Sum != want.n || p.Total != want.n || p.Points != perMinutes {
			t.Errorf("%s %s: the line plots %d over %d points (data-total %d), want %d over %d",
				want.chart, want.series, p.Sum, p.Points, p.Total, want.n, perMinutes)
		}
	}
	if p := got["chart-reuse"][cargo.ID+" → "+cargo.Audience]; p.Sum < 9 {
		t.Errorf("clients that do not reuse: cargo plots %d tokens per lifetime, want at least 9 (%v)", p.Sum, got["chart-reuse"])
	}
	for _, id := range []string{"chart-tokens", "chart-apis", "chart-clients", "chart-refusals", "chart-reuse"} {
		shot := value(t, ctx, "screenshot "+id, chromedp.Screenshot(chromedp.CSS("#"+id+" svg.plot")))
		if n := colouredPixels(t, shot); n < 20 {
			t.Errorf("%s: the screenshot has %d coloured pixels: the chart looks blank or flat", id, n)
		}
	}
	if empty := value(t, ctx, "the limits chart", chromedp.Text(chromedp.CSS("#chart-limits"))); !strings.Contains(empty, "Nothing to show") {
		t.Errorf("no limit was hit, yet the limits chart shows %q", empty)
	}
}

// colouredPixels counts the pixels of a PNG that are clearly coloured
// (the lines; the background, the grid and the labels are white or grey)
// above the zero line: a line that plots only zeros lies on it. The zero
// line is at 192 of the chart's 220 units.
func colouredPixels(t *testing.T, shot []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 300 || b.Dy() < 80 {
		t.Fatalf("the chart is %v on screen, too small to read", b.Size())
	}
	n := 0
	aboveZero := b.Min.Y + b.Dy()*180/220
	for y := b.Min.Y; y < aboveZero; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if saturation(img, x, y) > 60 {
				n++
			}
		}
	}
	return n
}

func saturation(img image.Image, x, y int) int {
	r, g, b, _ := img.At(x, y).RGBA()
	hi, lo := max(r, g, b)>>8, min(r, g, b)>>8
	return int(hi - lo)
}
