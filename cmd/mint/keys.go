package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/server"
)

// keyFlags are `mint serve`'s flags for the signing keys.
type keyFlags struct {
	masterKeyFile string
	prepublish    time.Duration
	period        time.Duration
	getenv        func(string) string
	envErr        error // an unreadable duration in the environment
}

func (k *keyFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	k.getenv = getenv
	fs.StringVar(&k.masterKeyFile, "master-key-file", getenv("MINT_MASTER_KEY_FILE"),
		"file holding the base64 master key that seals the signing keys (env MINT_MASTER_KEY_FILE; "+
			"MINT_MASTER_KEY, the key itself, wins; default for SQLite: the database path + .key)")
	fs.DurationVar(&k.prepublish, "key-prepublish", k.envDuration("MINT_KEY_PREPUBLISH", keyring.DefaultPrepublish),
		"how long a rotated-in signing key is published before it signs (env MINT_KEY_PREPUBLISH)")
	fs.DurationVar(&k.period, "key-rotation-period", k.envDuration("MINT_KEY_ROTATION_PERIOD", 0),
		"rotate each signing key after it has signed this long, e.g. 720h; 0: only when asked (env MINT_KEY_ROTATION_PERIOD)")
}

// apply puts the flags into cfg.
func (k *keyFlags) apply(cfg *server.Config) error {
	if k.envErr != nil {
		return k.envErr
	}
	if k.prepublish < 0 || k.period < 0 {
		return fmt.Errorf("--key-prepublish and --key-rotation-period must not be negative")
	}
	if k.period > 0 && k.period <= k.prepublish {
		return fmt.Errorf("--key-rotation-period (%s) must be longer than --key-prepublish (%s)", k.period, k.prepublish)
	}
	if text := k.getenv("MINT_MASTER_KEY"); text != "" {
		key, err := keyring.ParseMasterKey(text)
		if err != nil {
			return fmt.Errorf("MINT_MASTER_KEY: %w", err)
		}
		cfg.MasterKey = key
	}
	cfg.MasterKeyFile, cfg.KeyPrepublish, cfg.KeyRotationPeriod = k.masterKeyFile, k.prepublish, k.period
	return nil
}

// envDuration reads an environment variable as a duration, def when it is
// unset; an unreadable one is reported by apply.
func (k *keyFlags) envDuration(key string, def time.Duration) time.Duration {
	v := k.getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil && k.envErr == nil {
		k.envErr = fmt.Errorf("%s: %w", key, err)
	}
	return d
}
