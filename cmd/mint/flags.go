package main

import (
	"flag"
	"log/slog"
	"strings"

	"github.com/mintauth/mint/internal/logline"
)

// env returns the value of an environment variable, or def when unset.
func env(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// listFlag is a repeatable flag whose default comes from a comma-separated
// environment variable; the first use on the command line replaces it.
type listFlag struct {
	values []string
	set    bool
}

func newListFlag(envValue string) *listFlag {
	l := &listFlag{}
	for _, v := range strings.Split(envValue, ",") {
		if v = strings.TrimSpace(v); v != "" {
			l.values = append(l.values, v)
		}
	}
	return l
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, v)
	return nil
}

// logFlags are the logging flags every long-running command takes.
type logFlags struct{ level, format string }

func (l *logFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&l.level, "log-level", env(getenv, "MINT_LOG_LEVEL", "info"), "debug, info, warn or error (env MINT_LOG_LEVEL)")
	fs.StringVar(&l.format, "log-format", env(getenv, "MINT_LOG_FORMAT", "text"), "text or json (env MINT_LOG_FORMAT)")
}

func (l *logFlags) handler(w interface{ Write([]byte) (int, error) }) (slog.Handler, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, err
	}
	// logline writes slog's lines, and the token endpoint's issuance
	// line without slog's per-record cost (issue 15).
	return logline.New(w, l.format, &slog.HandlerOptions{Level: level}), nil
}
