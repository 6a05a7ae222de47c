package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/bench"
)

// benchFlags are the flags of `mint bench`.
type benchFlags struct {
	cfg      bench.Config
	opts     bench.CompareOptions
	setup    bool
	alg      string
	json     bool
	tokenURL string
	// serveReferences makes this process the reference servers of another
	// `mint bench` (bench.ServeReferences); not for people.
	serveReferences bool
	// rotate is the rotating mode's flags (--clients-file, --clients).
	rotate bench.RotateFlags
}

func (f *benchFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	server := strings.TrimRight(env(getenv, "MINT_SERVER", "http://127.0.0.1:8080"), "/")
	fs.StringVar(&f.tokenURL, "token-url", server+"/oauth/token", "token endpoint `URL` (default $MINT_SERVER/oauth/token)")
	fs.StringVar(&f.cfg.ClientID, "client-id", getenv("MINT_CLIENT_ID"), "client `ID` (default $MINT_CLIENT_ID); with --setup, an admin client")
	fs.StringVar(&f.cfg.ClientSecret, "client-secret", "", "client `secret` (default $MINT_CLIENT_SECRET; prefer the environment)")
	fs.StringVar(&f.cfg.Audience, "audience", "", "audience to ask tokens for (none sent when empty)")
	fs.StringVar(&f.cfg.Style, "style", bench.StyleJSON, "request `style`: json, form or basic")
	fs.IntVar(&f.cfg.Connections, "connections", 64, "concurrent keep-alive connections")
	fs.DurationVar(&f.cfg.Duration, "duration", 10*time.Second, "measured duration")
	fs.DurationVar(&f.cfg.Warmup, "warmup", time.Second, "unmeasured load before each measured part")
	fs.BoolVar(&f.opts.Baseline, "baseline", false, "also load a plain net/http server replaying mint's answer, and one that signs each answer anew, and print the ratios")
	fs.IntVar(&f.opts.PID, "pid", 0, "mint's process `id`, to sample its resident memory every second")
	fs.BoolVar(&f.setup, "setup", false, "with admin credentials, create an API, a client and a grant, bench with them, then delete them")
	fs.StringVar(&f.alg, "alg", "", "with --setup, the new API's signing_alg (e.g. ES256); not sent when empty")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.BoolVar(&f.serveReferences, "serve-references", false, "internal: serve the baselines for another mint bench")
	f.rotate.Register(fs, getenv)
}

func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, run := benchCommand(getenv, stdout, stderr)
	return parseAndRun(ctx, args, stderr, fs, run)
}

// benchCommand defines `mint bench`'s flags and returns what runs it.
func benchCommand(getenv func(string) string, stdout, stderr io.Writer) (*flag.FlagSet, commandRun) {
	fs := flag.NewFlagSet("mint bench", flag.ContinueOnError)
	f := &benchFlags{}
	f.register(fs, getenv)
	return fs, func(ctx context.Context, nargs int) int { return f.main(ctx, nargs, getenv, stdout, stderr) }
}

func (f *benchFlags) main(ctx context.Context, nargs int, getenv func(string) string, stdout, stderr io.Writer) int {
	if f.serveReferences {
		tuneGC(getenv) // the references run as mint serve does
		if err := bench.ServeReferences(ctx, os.Stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "mint bench:", err)
			return 1
		}
		return 0
	}
	if exe, err := os.Executable(); err == nil {
		f.opts.ReferenceCommand = []string{exe, "bench", "--serve-references"}
	}
	f.cfg.URL = f.tokenURL
	if f.cfg.ClientSecret == "" {
		f.cfg.ClientSecret = getenv("MINT_CLIENT_SECRET")
	}
	if f.rotate.Active() {
		return f.mainRotate(ctx, stdout, stderr)
	}
	if err := f.check(nargs); err != nil {
		fmt.Fprintln(stderr, "mint bench:", err)
		return 2
	}
	rep, err := f.run(ctx)
	if err == nil {
		if f.json {
			err = rep.WriteJSON(stdout)
		} else {
			err = rep.WriteTable(stdout)
		}
	}
	if err == nil && (rep.Mint.Errors > 0 || rep.Baseline != nil && rep.Baseline.Errors > 0 || rep.Signing != nil && rep.Signing.Errors > 0) {
		err = errors.New("some requests failed")
	}
	if err != nil {
		fmt.Fprintln(stderr, "mint bench:", err)
		return 1
	}
	return 0
}

func (f *benchFlags) check(nargs int) error {
	switch {
	case nargs > 0:
		return errors.New("no arguments expected")
	case f.cfg.ClientID == "" || f.cfg.ClientSecret == "":
		return errors.New("no credentials: set MINT_CLIENT_ID and MINT_CLIENT_SECRET")
	case f.cfg.Connections < 1 || f.cfg.Duration <= 0 || f.cfg.Warmup < 0:
		return errors.New("--connections and --duration must be positive")
	case f.alg != "" && !f.setup:
		return errors.New("--alg needs --setup")
	}
	u, err := url.Parse(f.cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bad --token-url %q", f.cfg.URL)
	}
	return nil
}

// run benches, first registering a target with --setup.
func (f *benchFlags) run(ctx context.Context) (bench.Report, error) {
	if !f.setup {
		return bench.Compare(ctx, f.cfg, f.opts)
	}
	u, _ := url.Parse(f.cfg.URL)
	t, err := bench.Setup(ctx, bench.SetupConfig{
		Server: u.Scheme + "://" + u.Host, ClientID: f.cfg.ClientID, ClientSecret: f.cfg.ClientSecret, Alg: f.alg,
	})
	if err != nil {
		return bench.Report{}, err
	}
	defer t.Remove(context.WithoutCancel(ctx))
	cfg := f.cfg
	cfg.ClientID, cfg.ClientSecret, cfg.Audience = t.ClientID, t.ClientSecret, t.Audience
	rep, err := bench.Compare(ctx, cfg, f.opts)
	if err == nil && f.alg != "" && rep.Alg != f.alg {
		err = fmt.Errorf("asked for %s tokens, got %s: the server ignored signing_alg", f.alg, rep.Alg)
	}
	return rep, err
}

// mainRotate runs the rotating mode (internal/bench/rotate*.go).
func (f *benchFlags) mainRotate(ctx context.Context, stdout, stderr io.Writer) int {
	err := f.rotate.Main(ctx, bench.RotateRun{TokenURL: f.tokenURL, AdminID: f.cfg.ClientID, AdminSecret: f.cfg.ClientSecret,
		Setup: f.setup, Alg: f.alg, Connections: f.cfg.Connections, Duration: f.cfg.Duration, Warmup: f.cfg.Warmup,
		JSON: f.json, Stdout: stdout})
	if err != nil {
		fmt.Fprintln(stderr, "mint bench:", err)
		return 1
	}
	return 0
}
