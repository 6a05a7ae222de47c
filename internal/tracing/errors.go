package tracing

import (
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
)

// errorInterval is how often the OpenTelemetry SDK's own errors may reach
// the log: a collector that rejects spans would otherwise add a line per
// export.
const errorInterval = time.Minute

// LogErrors sends the errors the OpenTelemetry SDK reports through its
// global handler (a collector rejecting part of an export, a bad
// environment variable) to log at Warn, at most one line a minute, with
// the number left out since the last. It sets process-wide state: mint
// serve calls it once, when traces are on.
func LogErrors(log *slog.Logger) {
	otel.SetErrorHandler(&errorLog{log: log})
}

type errorLog struct {
	log     *slog.Logger
	mu      sync.Mutex
	last    time.Time
	skipped int
}

func (e *errorLog) Handle(err error) {
	e.mu.Lock()
	now := time.Now()
	if !e.last.IsZero() && now.Sub(e.last) < errorInterval {
		e.skipped++
		e.mu.Unlock()
		return
	}
	skipped := e.skipped
	e.last, e.skipped = now, 0
	e.mu.Unlock()
	e.log.Warn("traces: OpenTelemetry error", "error", err, "errors_left_out", skipped)
}
