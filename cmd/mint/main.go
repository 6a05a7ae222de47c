// Command mint is the mint token server and its tools in one binary:
// `mint serve` runs the server, `mint gateway` protects an API written in
// any language, and the other commands administer a running server. The
// command line is package cli's; this package adds the commands that run a
// server or open a database.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mintauth/mint/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	return cli.Main(ctx, args, os.Getenv, os.Stdin, os.Stdout, os.Stderr, extensions(os.Getenv, os.Stdout, os.Stderr))
}
