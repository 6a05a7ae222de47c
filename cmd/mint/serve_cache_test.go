package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
)

// The cache flags: defaults, environment, flags over environment, and
// refusals of what makes no sense.
func TestCacheFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    server.CacheConfig
		wantErr bool
	}{
		{"defaults", nil, nil, server.CacheConfig{StaleBound: server.DefaultStaleBound}, false},
		{"env", map[string]string{"MINT_CACHE_STALE_BOUND": "30s", "MINT_CACHE_ENTRIES": "500000"}, nil,
			server.CacheConfig{StaleBound: 30 * time.Second, MaxEntries: 500_000}, false},
		{"flag over env", map[string]string{"MINT_CACHE_STALE_BOUND": "30s"}, []string{"-cache-stale-bound", "0"},
			server.CacheConfig{}, false},
		{"bad env duration", map[string]string{"MINT_CACHE_STALE_BOUND": "five minutes"}, nil, server.CacheConfig{}, true},
		{"bad env entries", map[string]string{"MINT_CACHE_ENTRIES": "many"}, nil, server.CacheConfig{}, true},
		{"negative bound", nil, []string{"-cache-stale-bound", "-1s"}, server.CacheConfig{}, true},
		{"negative entries", nil, []string{"-cache-entries", "-1"}, server.CacheConfig{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var c cacheFlags
			c.register(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var cfg server.Config
			err := c.apply(&cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("apply: %v; want error %v", err, tt.wantErr)
			}
			if err == nil && cfg.Cache != tt.want {
				t.Errorf("Cache = %+v; want %+v", cfg.Cache, tt.want)
			}
		})
	}
}
