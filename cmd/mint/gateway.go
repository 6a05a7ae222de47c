package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/mintauth/mint/gateway"
)

func gatewayCmd(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("mint gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := gateway.FromFlags(fs, getenv)
	var logs logFlags
	logs.register(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return 2
	}
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
