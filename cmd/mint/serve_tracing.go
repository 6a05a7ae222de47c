package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/mintauth/mint/internal/buildinfo"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/tracing"
)

// traceShutdown bounds the export of the last spans when mint serve stops.
const traceShutdown = 5 * time.Second

// traceFlags is mint serve's traces flag (docs/observability.md). The
// standard OTEL_ environment variables turn traces on too.
type traceFlags struct {
	endpoint string
	getenv   func(string) string
}

func (t *traceFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	t.getenv = getenv
	fs.StringVar(&t.endpoint, "otlp-endpoint", "",
		"export traces over OTLP/HTTP to this collector base URL, e.g. http://127.0.0.1:4318 (spans go to /v1/traces); "+
			"OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turn traces on too; default none")
}

// apply builds the tracer provider the flags and environment ask for into
// cfg and returns what shuts it down, exporting the last spans; with
// traces off it builds nothing.
func (t *traceFlags) apply(ctx context.Context, cfg *server.Config, log *slog.Logger) (shutdown func(), err error) {
	p, err := tracing.New(ctx, tracing.Config{Endpoint: t.endpoint, Getenv: t.getenv, Version: buildinfo.Read().Version})
	if err != nil || p == nil {
		return func() {}, err
	}
	cfg.Traces = p
	tracing.LogErrors(log)
	log.Info("traces exported over OTLP/HTTP", "endpoint", tracing.RedactEndpoint(t.endpoint, t.getenv))
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), traceShutdown)
		defer cancel()
		if err := p.Shutdown(sctx); err != nil {
			log.Warn("traces not all exported at shutdown", "error", err)
		}
	}, nil
}
