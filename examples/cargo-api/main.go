// Command cargo-api is the example API of mint's README: seed 003's
// GET /ws/rest/{Resource}?filter=… over a few in-memory rows, open only to
// mint's access tokens for its audience that carry read:cargo. It finds
// mint's signing keys through the issuer's RFC 8414 metadata.
//
//	go run ./examples/cargo-api --issuer http://127.0.0.1:8080 --audience https://dataloy
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/examples/cargo-api/cargo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "cargo-api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("cargo-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("CARGO_API_ADDR", "127.0.0.1:9090"), "`address` to listen on (CARGO_API_ADDR)")
	issuer := fs.String("issuer", env("MINT_ISSUER", "http://127.0.0.1:8080"), "mint's issuer `URL` (MINT_ISSUER)")
	audience := fs.String("audience", env("CARGO_API_AUDIENCE", "https://dataloy"), "this API's `audience` (CARGO_API_AUDIENCE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{Issuer: *issuer, Log: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           cargo.Handler(cargo.Config{Issuer: *issuer, Audience: *audience, Keys: keys}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Info("cargo API listening", "addr", ln.Addr().String(), "issuer", *issuer, "audience", *audience)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}
