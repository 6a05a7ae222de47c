package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/mintauth/mint/internal/gateway"
)

func gatewayCmd(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs, run := gatewayCommand(getenv, stderr)
	return parseAndRun(ctx, args, stderr, fs, run)
}

// gatewayCommand defines `mint gateway`'s flags and returns what runs it.
func gatewayCommand(getenv func(string) string, stderr io.Writer) (*flag.FlagSet, commandRun) {
	fs := flag.NewFlagSet("mint gateway", flag.ContinueOnError)
	opts := gateway.FromFlags(fs, getenv)
	var logs logFlags
	logs.register(fs, getenv)
	return fs, func(ctx context.Context, _ int) int { return runGateway(ctx, opts, &logs, stderr) }
}

func runGateway(ctx context.Context, opts *gateway.Options, logs *logFlags, stderr io.Writer) int {
	h, err := logs.handler(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mint gateway:", err)
		return 2
	}
	opts.Log = slog.New(h)
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		fmt.Fprintln(stderr, "mint gateway:", err)
		return 1
	}
	if err := gateway.Serve(ctx, ln, opts); err != nil {
		opts.Log.Error("mint gateway stopped", "error", err)
		return 1
	}
	return 0
}
