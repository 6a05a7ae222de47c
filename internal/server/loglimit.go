package server

import (
	"log/slog"

	"github.com/mintauth/mint/internal/loglimit"
)

// suppressedLines is a loglimit.Limiter with the defaults (20 lines per
// source a minute) that writes, at Warn, how many of what lines a source
// had left out in a minute.
func suppressedLines(log *slog.Logger, what string) *loglimit.Limiter {
	return loglimit.New(0, 0, 0, func(source string, lines int) {
		log.Warn("log lines suppressed", "what", what, "source", source, "lines", lines, "window", loglimit.DefaultWindow)
	})
}
