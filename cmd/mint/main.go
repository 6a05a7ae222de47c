// Command mint is the mint token server and its tools in one binary:
// `mint serve` runs the server, `mint gateway` protects an API written in
// any language, and the other commands administer a running server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mintauth/mint/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			tuneGC(os.Getenv)
			go releaseWhenIdle(ctx)
			return serve(ctx, args[1:], os.Getenv, os.Stderr)
		case "gateway":
			tuneGC(os.Getenv)
			go releaseWhenIdle(ctx)
			return gatewayCmd(ctx, args[1:], os.Getenv, os.Stderr)
		case "bench":
			return benchCmd(ctx, args[1:], os.Getenv, os.Stdout, os.Stderr)
		case "audit":
			return auditCmd(ctx, args[1:], os.Getenv, os.Stdout, os.Stderr)
		case "backup":
			return backupCmd(ctx, args[1:], os.Stdout, os.Stderr)
		}
	}
	return cli.Run(ctx, args, os.Getenv, os.Stdout, os.Stderr)
}
