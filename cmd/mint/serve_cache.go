package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/storecache"
)

// cacheFlags are mint serve's store cache flags (docs/scale-cache.md,
// docs/deployment.md "Database outages").
type cacheFlags struct {
	entries    int
	staleBound time.Duration
	envErr     error
}

func (c *cacheFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	c.staleBound = server.DefaultStaleBound
	if v := getenv("MINT_CACHE_STALE_BOUND"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.envErr = fmt.Errorf("MINT_CACHE_STALE_BOUND: %w", err)
		}
		c.staleBound = d
	}
	if v := getenv("MINT_CACHE_ENTRIES"); v != "" && c.envErr == nil {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.envErr = fmt.Errorf("MINT_CACHE_ENTRIES: %w", err)
		}
		c.entries = n
	}
	fs.DurationVar(&c.staleBound, "cache-stale-bound", c.staleBound,
		"with the database's change feed lost, keep issuing tokens to the clients held in memory for this long; 0 refuses at once (env MINT_CACHE_STALE_BOUND)")
	fs.IntVar(&c.entries, "cache-entries", c.entries,
		fmt.Sprintf("answers of each kind the token path's cache holds, about one per active client; 0 = %d (env MINT_CACHE_ENTRIES)", storecache.DefaultMaxEntries))
}

// apply checks the flags and sets cfg.Cache.
func (c *cacheFlags) apply(cfg *server.Config) error {
	switch {
	case c.envErr != nil:
		return c.envErr
	case c.staleBound < 0:
		return fmt.Errorf("--cache-stale-bound cannot be negative")
	case c.entries < 0:
		return fmt.Errorf("--cache-entries cannot be negative")
	}
	cfg.Cache = server.CacheConfig{MaxEntries: c.entries, StaleBound: c.staleBound}
	return nil
}
