package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/mintauth/mint/internal/server"
)

// limitFlags are mint serve's per-client limits (docs/limits.md).
type limitFlags struct {
	mode                        string
	rate                        float64
	burst                       int
	tokensPerHour, tokensPerDay int64
	envErr                      error
}

func (l *limitFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	l.rate = l.envFloat(getenv, "MINT_CLIENT_RATE")
	l.burst = int(l.envInt(getenv, "MINT_CLIENT_BURST"))
	l.tokensPerHour = l.envInt(getenv, "MINT_DEFAULT_TOKENS_PER_HOUR")
	l.tokensPerDay = l.envInt(getenv, "MINT_DEFAULT_TOKENS_PER_DAY")
	fs.StringVar(&l.mode, "limits-mode", env(getenv, "MINT_LIMITS_MODE", "enforce"),
		"enforce: refuse requests over a limit with 429; observe: only log and count them (env MINT_LIMITS_MODE)")
	fs.Float64Var(&l.rate, "client-rate", l.rate,
		"token requests per second each client may make on each replica, 0 = no limit (env MINT_CLIENT_RATE)")
	fs.IntVar(&l.burst, "client-burst", l.burst, "burst of --client-rate, 0 = 2 s of it (env MINT_CLIENT_BURST)")
	fs.Int64Var(&l.tokensPerHour, "default-tokens-per-hour", l.tokensPerHour,
		"tokens a client may get per clock hour unless it has its own tokens_per_hour, 0 = unlimited (env MINT_DEFAULT_TOKENS_PER_HOUR)")
	fs.Int64Var(&l.tokensPerDay, "default-tokens-per-day", l.tokensPerDay,
		"tokens a client may get per UTC day unless it has its own tokens_per_day, 0 = unlimited (env MINT_DEFAULT_TOKENS_PER_DAY)")
}

func (l *limitFlags) envInt(getenv func(string) string, key string) int64 {
	v := getenv(key)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil && l.envErr == nil {
		l.envErr = fmt.Errorf("%s: %w", key, err)
	}
	return n
}

func (l *limitFlags) envFloat(getenv func(string) string, key string) float64 {
	v := getenv(key)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && l.envErr == nil {
		l.envErr = fmt.Errorf("%s: %w", key, err)
	}
	return f
}

// apply checks the flags and sets cfg.Limits.
func (l *limitFlags) apply(cfg *server.Config) error {
	if l.envErr != nil {
		return l.envErr
	}
	if l.mode != "enforce" && l.mode != "observe" {
		return fmt.Errorf("--limits-mode must be enforce or observe, not %q", l.mode)
	}
	if l.rate < 0 || l.burst < 0 || l.tokensPerHour < 0 || l.tokensPerDay < 0 {
		return errors.New("--client-rate, --client-burst and --default-tokens-per-hour/-day cannot be negative")
	}
	cfg.Limits = server.LimitsConfig{Observe: l.mode == "observe", Rate: l.rate, Burst: l.burst,
		TokensPerHour: l.tokensPerHour, TokensPerDay: l.tokensPerDay}
	return nil
}
