package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
)

// The geometry of a dashboard chart, in SVG user units: the plot area is
// chartPlotW × chartPlotH, inside margins for the axis labels. The SVG
// scales to its box (viewBox), so these are proportions, not pixels.
const (
	chartW, chartH         = 760, 220
	chartLeft, chartTop    = 48, 12
	chartPlotW, chartPlotH = 700, 180
	// chartPalette is how many distinct colours the style sheet has
	// (.series-0 … .series-7); "other" is grey.
	chartPalette = 8
)

// chart is one dashboard chart drawn on the server as SVG, with its
// numbers as a table beside it: the table is the chart's text
// alternative, and what a screen reader or a browser without SVG reads.
type chart struct {
	ID, Title, Description string
	// Unit names what a point counts, for the table's headings.
	Unit string
	// Gauge charts show levels (tokens per lifetime), not counts.
	Gauge bool
	// YMax is the value at the top of the plot.
	YMax   uint64
	Frame  chartFrame
	Lines  []chartLine
	YTicks []chartTick
	XTicks []chartTick
	// Minutes are the rows of the detailed table, newest first, only those
	// with a count; Step is how many minutes a row adds up.
	Minutes []chartMinute
	Step    int
}

// chartFrame is the chart's geometry, for the template: the viewBox, the
// plot's edges (Bottom is the y of 0) and where the axis labels go.
type chartFrame struct {
	Width, Height            int
	Left, Right, Top, Bottom int
	PlotHeight               int
	YLabelX, XLabelY         int
}

var frame = chartFrame{Width: chartW, Height: chartH, Left: chartLeft, Right: chartLeft + chartPlotW,
	Top: chartTop, Bottom: chartTop + chartPlotH, PlotHeight: chartPlotH, YLabelX: chartLeft - 6, XLabelY: chartH - 10}

// chartLine is one series: a polyline through every minute.
type chartLine struct {
	dashboard.Series
	Class  string // series-N or series-other
	Points string // the polyline's points attribute
}

type chartTick struct {
	Pos   int // x or y, in user units
	Label string
}

// chartMinute is a row of a chart's detailed table: the Minutes from
// Time.
type chartMinute struct {
	Time    time.Time
	Minutes int
	Values  []uint64
}

// newChart lays out series over the snapshot's minutes.
func newChart(id, title, desc, unit string, snap dashboard.Snapshot, series []dashboard.Series) chart {
	c := chart{ID: id, Title: title, Description: desc, Unit: unit, Frame: frame}
	var peak uint64
	for _, s := range series {
		peak = max(peak, s.Peak)
		c.Gauge = c.Gauge || s.Gauge
	}
	c.YMax = niceCeiling(peak)
	for i, s := range series {
		class := fmt.Sprintf("series-%d", i%chartPalette)
		if s.Name == dashboard.SeriesOther {
			class = "series-other"
		}
		c.Lines = append(c.Lines, chartLine{Series: s, Class: class, Points: polyline(s.Points, c.YMax)})
	}
	for _, v := range []uint64{0, c.YMax / 2, c.YMax} {
		c.YTicks = append(c.YTicks, chartTick{Pos: yOf(v, c.YMax), Label: strconv.FormatUint(v, 10)})
	}
	c.XTicks = timeTicks(snap)
	c.Minutes, c.Step = minuteRows(snap, series), rowStep(snap.Minutes)
	return c
}

// niceCeiling is the smallest of 1, 2, 5 × 10^k at or above v, at least
// 2 so that the middle tick is a whole number.
func niceCeiling(v uint64) uint64 {
	for scale := uint64(1); ; scale *= 10 {
		for _, m := range []uint64{2, 5, 10} {
			if m*scale >= v {
				return m * scale
			}
		}
	}
}

func xOf(i, n int) float64 {
	if n <= 1 {
		return chartLeft
	}
	return chartLeft + float64(i)*chartPlotW/float64(n-1)
}

func yOf(v, yMax uint64) int {
	return chartTop + chartPlotH - int(float64(v)*chartPlotH/float64(yMax)+0.5)
}

func polyline(points []uint64, yMax uint64) string {
	var b strings.Builder
	for i, v := range points {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%d", xOf(i, len(points)), yOf(v, yMax))
	}
	return b.String()
}

// timeTicks marks the x axis at round times in UTC: every 10 minutes for
// an hour, every 30 for up to three, else every hour.
func timeTicks(snap dashboard.Snapshot) []chartTick {
	step := int64(60)
	switch {
	case snap.Minutes <= 60:
		step = 10
	case snap.Minutes <= 180:
		step = 30
	}
	first := snap.Start.Unix() / 60
	var ticks []chartTick
	for i := range snap.Minutes {
		if (first+int64(i))%step == 0 {
			ticks = append(ticks, chartTick{Pos: int(xOf(i, snap.Minutes)), Label: snap.Start.Add(time.Duration(i) * time.Minute).Format("15:04")})
		}
	}
	return ticks
}

// rowStep is the minutes one row of a chart's detailed table adds up:
// 60 rows at most, each a round number of minutes.
func rowStep(minutes int) int {
	for _, step := range []int{1, 5, 10, 15, 30, 60} {
		if minutes <= 60*step {
			return step
		}
	}
	return 60
}

// minuteRows are the chart's numbers by steps of rowStep minutes, newest
// first, only the steps with a count: a sum per series, or for a gauge
// its highest sample.
func minuteRows(snap dashboard.Snapshot, series []dashboard.Series) []chartMinute {
	step := rowStep(snap.Minutes)
	first := int(snap.Start.Unix()/60) % step // steps start at round times
	var rows []chartMinute
	for end := snap.Minutes; end > 0; {
		start := max(0, end-((first+end-1)%step+1))
		row := chartMinute{Time: snap.Start.Add(time.Duration(start) * time.Minute), Minutes: end - start}
		any := false
		for _, s := range series {
			var v uint64
			for _, p := range s.Points[start:end] {
				if s.Gauge {
					v = max(v, p)
				} else {
					v += p
				}
			}
			row.Values = append(row.Values, v)
			any = any || v > 0
		}
		if any {
			rows = append(rows, row)
		}
		end = start
	}
	return rows
}
