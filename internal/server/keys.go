package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/postgres"
)

// KeyMaintenanceInterval is how often a serving mint runs the key ring's
// Maintain: it promotes and retires keys on time, rotates on schedule,
// and loads keys another replica made. A key made elsewhere is published
// here within this interval; rotation prepublishes far longer.
const KeyMaintenanceInterval = 30 * time.Second

// openKeys opens the key ring with the master key cfg names.
func (s *Server) openKeys(ctx context.Context) (*keyring.Ring, error) {
	master, err := s.masterKey(ctx)
	if err != nil {
		return nil, err
	}
	ring, err := keyring.Open(ctx, s.store, keyring.Config{
		MasterKey: master, Now: s.now,
		Prepublish: s.cfg.KeyPrepublish, RotationPeriod: s.cfg.KeyRotationPeriod,
	})
	if errors.Is(err, keyring.ErrMasterKey) {
		return nil, fmt.Errorf("%w: is this the master key this database's keys were sealed with?", err)
	}
	return ring, err
}

// masterKey is Config.MasterKey, else the key in Config.MasterKeyFile,
// else, for a SQLite database, the key in the file beside it (DB path +
// ".key"), created on a new database.
func (s *Server) masterKey(ctx context.Context) ([]byte, error) {
	if len(s.cfg.MasterKey) > 0 {
		if len(s.cfg.MasterKey) != keyring.MasterKeySize {
			return nil, fmt.Errorf("MINT_MASTER_KEY must decode to %d bytes, not %d", keyring.MasterKeySize, len(s.cfg.MasterKey))
		}
		return s.cfg.MasterKey, nil
	}
	path := s.cfg.MasterKeyFile
	if path == "" {
		db, ok := sqlitePath(s.cfg.DB)
		if !ok {
			return nil, errors.New("no master key: a PostgreSQL database needs MINT_MASTER_KEY or --master-key-file " +
				"(the same on every replica); see docs/keys.md")
		}
		path = db + ".key"
	}
	key, err := keyring.ReadMasterKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	keys, err := s.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) > 0 {
		return nil, fmt.Errorf("master key file %s is missing, and the database holds signing keys sealed with it: "+
			"restore the file or set MINT_MASTER_KEY (mint never makes a new master key for existing keys)", path)
	}
	key, err = keyring.CreateMasterKeyFile(path)
	if err == nil {
		s.cfg.Log.Warn("created a master key for the signing keys; back it up with the database", "file", path)
	}
	return key, err
}

// sqlitePath is the file of a SQLite database URL (see OpenStore).
func sqlitePath(dsn string) (string, bool) {
	if postgres.IsDSN(dsn) {
		return "", false
	}
	return strings.TrimPrefix(dsn, "sqlite:"), true
}

// MaintainKeys runs the key ring's Maintain now, then every
// KeyMaintenanceInterval and whenever a replica changed the keys (see
// noticeKeyChange), until ctx ends. Failures are logged: the ring
// keeps its keys, and the next round tries again.
func (s *Server) MaintainKeys(ctx context.Context) {
	t := time.NewTicker(KeyMaintenanceInterval)
	defer t.Stop()
	for {
		if err := s.keys.Maintain(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("signing key maintenance", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.keysChanged:
		}
	}
}
