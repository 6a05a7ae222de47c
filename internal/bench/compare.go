package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// CompareOptions says what Compare runs besides the load at mint.
type CompareOptions struct {
	// Baseline also drives the same load at a Baseline server replaying
	// mint's answer and at a SigningBaseline, and reports the ratios.
	Baseline bool
	// ReferenceCommand, when set, starts the baselines in a process of
	// their own: a command that calls ServeReferences (`mint bench
	// --serve-references`). Unset, they run in this process.
	ReferenceCommand []string
	// PID, when not 0, is mint's process, whose resident memory is sampled
	// every second.
	PID int
}

// How Compare schedules mint and the references: mint's measured time is
// cut into equal parts that come before, between and after the references,
// each of which runs for the whole duration. A drift of the machine's speed
// during the run (another tenant, thermal limits) then weighs on mint and
// the references alike, to first order.
const (
	Order        = "mint ½, baseline, mint ½"
	OrderSigning = "mint ⅓, baseline, mint ⅓, signing baseline, mint ⅓"
)

// Report is the outcome of Compare.
type Report struct {
	URL         string        `json:"url"`
	Alg         string        `json:"alg"` // of the tokens mint issued
	Style       string        `json:"style"`
	Connections int           `json:"connections"`
	Duration    time.Duration `json:"duration_ns"`
	Warmup      time.Duration `json:"warmup_ns"`
	Mint        Result        `json:"mint"`
	Baseline    *Result       `json:"baseline,omitempty"`
	Order       string        `json:"order,omitempty"`
	// Ratio is mint's tokens/s over the baseline's.
	Ratio float64 `json:"ratio,omitempty"`
	// Signing is the SigningBaseline's run, when mint's alg has a signer
	// there (SigningSkipped says why not otherwise); SigningRatio is mint's
	// tokens/s over its.
	Signing        *Result `json:"signing_baseline,omitempty"`
	SigningRatio   float64 `json:"signing_ratio,omitempty"`
	SigningSkipped string  `json:"signing_skipped,omitempty"`
	RSS            *RSS    `json:"rss,omitempty"`
}

// Compare fetches one token to check cfg, then runs the load at mint and,
// when asked, at a baseline in the Order above, each part after its own
// warmup.
func Compare(ctx context.Context, cfg Config, opts CompareOptions) (Report, error) {
	ans, err := Fetch(ctx, cfg)
	if err != nil {
		return Report{}, err
	}
	rep := Report{
		URL: cfg.URL, Alg: ans.Alg(), Style: cfg.Style, Connections: max(cfg.Connections, 1),
		Duration: cfg.Duration, Warmup: cfg.Warmup,
	}
	if rep.Style == "" {
		rep.Style = StyleJSON
	}
	var watch *RSSWatch
	if opts.PID != 0 {
		if watch, err = WatchRSS(ctx, opts.PID, time.Second); err != nil {
			return Report{}, fmt.Errorf("watching the memory of process %d: %w", opts.PID, err)
		}
	}
	if opts.Baseline {
		err = rep.runInterleaved(ctx, cfg, ans, opts.ReferenceCommand)
	} else {
		var t *tally
		if t, err = run(ctx, cfg); err == nil {
			rep.Mint = t.result()
		}
	}
	if watch != nil {
		rss, werr := watch.Stop()
		rep.RSS = &rss
		err = firstError(err, werr)
	}
	return rep, err
}

func (rep *Report) runInterleaved(ctx context.Context, cfg Config, ans *Answer, command []string) error {
	started, stop, err := startReferences(ctx, ans, command)
	if err != nil {
		return err
	}
	defer stop()
	refs := []string{started.Baseline}
	rep.Order, rep.SigningSkipped = Order, started.SigningSkipped
	if started.Signing != "" {
		refs = append(refs, started.Signing)
		rep.Order = OrderSigning
	}
	part := cfg
	part.Duration = cfg.Duration / time.Duration(len(refs)+1)
	mint, err := run(ctx, part)
	if err != nil {
		return err
	}
	var results []Result
	for i, url := range refs {
		ref := cfg
		ref.URL = url
		t, err := run(ctx, ref)
		if err != nil {
			return err
		}
		results = append(results, t.result())
		if i == len(refs)-1 { // the last part takes what division left over
			part.Duration = cfg.Duration - time.Duration(len(refs))*part.Duration
		}
		next, err := run(ctx, part)
		if err != nil {
			return err
		}
		mint.merge(next)
	}
	rep.Mint = mint.result()
	rep.Baseline, rep.Ratio = &results[0], ratio(rep.Mint, results[0])
	if len(results) > 1 {
		rep.Signing, rep.SigningRatio = &results[1], ratio(rep.Mint, results[1])
	}
	return nil
}

// ratio is a's tokens/s over b's, 0 when b had none.
func ratio(a, b Result) float64 {
	if b.PerSecond <= 0 {
		return 0
	}
	return a.PerSecond / b.PerSecond
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the report as one JSON object.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the report for people.
func (rep *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s  alg %s, %s style, %d connections, %v measured after %v warmup",
		rep.URL, orNone(rep.Alg), rep.Style, rep.Connections, rep.Duration, rep.Warmup)
	if rep.Order != "" {
		fmt.Fprintf(w, " per part; order: %s", rep.Order)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ttokens/s\tp50\tp90\tp99\tmax\trequests\terrors\t")
	writeRow(tw, "mint", rep.Mint)
	if rep.Baseline != nil {
		writeRow(tw, "baseline", *rep.Baseline)
	}
	if rep.Signing != nil {
		writeRow(tw, "signing baseline", *rep.Signing)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.Baseline != nil {
		fmt.Fprintf(w, "mint/baseline: %.1f %%\n", 100*rep.Ratio)
	}
	if rep.Signing != nil {
		fmt.Fprintf(w, "signing baseline/baseline: %.1f %%   mint/signing baseline: %.1f %%\n",
			100*ratio(*rep.Signing, *rep.Baseline), 100*rep.SigningRatio)
	}
	if rep.SigningSkipped != "" {
		fmt.Fprintf(w, "no signing baseline: %s\n", rep.SigningSkipped)
	}
	if rep.RSS != nil {
		fmt.Fprintf(w, "mint RSS: start %s, peak %s, end %s\n", mib(rep.RSS.Start), mib(rep.RSS.Peak), mib(rep.RSS.End))
	}
	writeSamples(w, "mint", rep.Mint)
	if rep.Baseline != nil {
		writeSamples(w, "baseline", *rep.Baseline)
	}
	if rep.Signing != nil {
		writeSamples(w, "signing baseline", *rep.Signing)
	}
	return nil
}

func writeRow(w io.Writer, name string, r Result) {
	fmt.Fprintf(w, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t\n",
		name, r.PerSecond, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), r.Requests, r.Errors)
}

func writeSamples(w io.Writer, name string, r Result) {
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "%s error: %s\n", name, s)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
