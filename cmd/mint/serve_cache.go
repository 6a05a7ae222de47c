package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
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
	memLimit   string // --memory-limit as given (memlimit.go)
	envErr     error
	// readFile reads the cgroup's limit; nil: os.ReadFile.
	readFile func(string) ([]byte, error)
	getenv   func(string) string
	// limit and limitFrom are what apply decided (memoryLimit).
	limit     int64
	limitFrom string
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
	c.getenv = getenv
	fs.StringVar(&c.memLimit, "memory-limit", getenv("MINT_MEMORY_LIMIT"),
		"soft limit of the Go heap, as GOMEMLIMIT writes it (e.g. 512MiB); off for none; default: GOMEMLIMIT if set, else 90% of the cgroup's memory limit, else none (env MINT_MEMORY_LIMIT)")
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
	read := c.readFile
	if read == nil {
		read = os.ReadFile
	}
	var err error
	if c.limit, c.limitFrom, err = memoryLimit(c.memLimit, c.getenv, read); err != nil {
		return err
	}
	cfg.Cache = server.CacheConfig{MaxEntries: c.entries, StaleBound: c.staleBound}
	return nil
}

// setMemoryLimit applies the limit apply decided and logs it.
func (c *cacheFlags) setMemoryLimit(log *slog.Logger) {
	setMemoryLimit(c.limit, c.limitFrom)
	if c.limit >= 0 {
		log.Info("memory limit", "bytes", c.limit, "from", c.limitFrom)
	}
}
