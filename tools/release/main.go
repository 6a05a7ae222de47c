// Command release builds a mint release from a git checkout: static
// binaries for each target, an archive of each with the license and
// docs, a .deb for each Linux target, and a SHA-256 checksums file.
// Run it through scripts/release, which passes the checkout's root.
//
// It lives in a Go module of its own so that mint's go.mod does not carry
// nfpm (the packaging library goreleaser uses) and its dependencies.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// defaultTargets are the platforms of a release.
const defaultTargets = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64"

type options struct {
	root       string   // the checkout's root (holds mint's go.mod)
	dist       string   // output directory, emptied first
	targets    []target // what to build
	version    string   // "" for a development version
	allowDirty bool     // build a release version from uncommitted changes
	timeout    time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, opts.timeout)
		defer cancel()
		err = release(ctx, opts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: scripts/release [flags] [version]\n\nversion is a semantic version such as v1.2.3; without one, a development build.")
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.root, "root", ".", "the mint checkout to build")
	fs.StringVar(&o.dist, "dist", "", "output directory, emptied first (default ROOT/dist)")
	targets := fs.String("targets", defaultTargets, "comma-separated GOOS/GOARCH pairs")
	fs.BoolVar(&o.allowDirty, "allow-dirty", false, "build a release version even with uncommitted changes")
	fs.DurationVar(&o.timeout, "timeout", time.Hour, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 1 {
		return o, fmt.Errorf("one version at most, got %q", fs.Args())
	}
	o.version = fs.Arg(0)
	var err error
	if o.targets, err = parseTargets(*targets); err != nil {
		return o, err
	}
	if o.root, err = filepath.Abs(o.root); err != nil {
		return o, err
	}
	if o.dist == "" {
		o.dist = filepath.Join(o.root, "dist")
	}
	o.dist, err = filepath.Abs(o.dist)
	return o, err
}

// release builds everything into o.dist and lists what it made.
func release(ctx context.Context, o options) error {
	src, err := readSource(ctx, o.root, o.version, o.allowDirty)
	if err != nil {
		return err
	}
	if err := emptyDist(o.dist); err != nil {
		return err
	}
	if err := os.MkdirAll(o.dist, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mint %s (commit %s, %s)\n", src.version, shortCommit(src.commit), src.date.Format(time.RFC3339))
	var made []string
	for _, t := range o.targets {
		fmt.Fprintln(os.Stderr, "building", t)
		bin, err := build(ctx, o.root, filepath.Join(o.dist, "build", t.dir()), t, src)
		if err != nil {
			return err
		}
		name, err := archive(o.root, o.dist, bin, t, src)
		if err != nil {
			return err
		}
		made = append(made, name)
		if t.os == "linux" {
			deb, err := debPackage(o.root, o.dist, bin, t, src)
			if err != nil {
				return err
			}
			made = append(made, deb)
		}
	}
	sums, err := writeChecksums(o.dist, src, made)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "in %s:\n  %s\n  %s\n", o.dist, strings.Join(made, "\n  "), sums)
	return nil
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// emptyDist removes an earlier release from dist, and refuses a folder
// holding anything else: --dist $HOME must not cost anyone their files.
func emptyDist(dist string) error {
	entries, err := os.ReadDir(dist)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != "build" && !strings.HasPrefix(e.Name(), "mint_") {
			return fmt.Errorf("%s holds %s, which no release made: give an empty or new --dist", dist, e.Name())
		}
	}
	return os.RemoveAll(dist)
}
