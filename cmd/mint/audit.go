package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/cli"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/sqlite"
)

// auditCmd runs `mint audit …`: verify --db checks a database directly,
// without a server and without the master key; everything else goes
// through the admin API, as the other commands do (package cli).
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "verify" && hasFlag(args[1:], "db") {
		return auditVerifyOffline(ctx, args[1:], stdout, stderr)
	}
	return cli.Run(ctx, append([]string{"audit"}, args...), getenv, stdout, stderr)
}

// hasFlag reports whether args set -name or --name.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func auditVerifyOffline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mint audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "SQLite file, sqlite:PATH, or postgres:// URL to verify")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := requireExistingSQLite(*db); err != nil {
		fmt.Fprintln(stderr, "mint audit verify:", err)
		return 2
	}
	store, err := openToVerify(ctx, *db)
	if err != nil {
		fmt.Fprintln(stderr, "mint audit verify:", err)
		return 3
	}
	defer store.Close()
	as, ok := store.(mint.AuditStore)
	if !ok {
		fmt.Fprintf(stderr, "mint audit verify: the %T store keeps no audit log\n", store)
		return 2
	}
	rep, err := audit.Verify(ctx, as)
	if err != nil {
		fmt.Fprintln(stderr, "mint audit verify:", err)
		return 3
	}
	if err := cli.ShowAuditReport(stdout, audit.ViewOfReport(rep), *asJSON); err != nil {
		fmt.Fprintln(stderr, "mint:", err)
		return 1
	}
	return 0
}

// openToVerify opens the store db names for reading. A SQLite file is
// opened read-only and never migrated: it may be the live file of a
// serving mint, perhaps an older one.
func openToVerify(ctx context.Context, db string) (mint.Store, error) {
	if postgres.IsDSN(db) {
		return server.OpenStore(ctx, db)
	}
	return sqlite.OpenReadOnly(ctx, strings.TrimPrefix(db, "sqlite:"))
}

// requireExistingSQLite refuses a SQLite path that does not exist, which
// opening would create.
func requireExistingSQLite(db string) error {
	if db == "" {
		return errors.New("--db is required")
	}
	if postgres.IsDSN(db) {
		return nil
	}
	path := strings.TrimPrefix(db, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return err
	}
	return nil
}

// auditRetentionFlag registers --audit-retention on serve's flag set:
// "90d", a Go duration such as "2160h", or "0" to keep records forever.
func auditRetentionFlag(fs *flag.FlagSet, getenv func(string) string, into *time.Duration) {
	fs.Func("audit-retention", "how long to keep audit records: 90d, 2160h, or 0 to keep them forever (env MINT_AUDIT_RETENTION; default 0)",
		func(s string) error {
			d, err := parseRetention(s)
			*into = d
			return err
		})
	if v := getenv("MINT_AUDIT_RETENTION"); v != "" {
		if d, err := parseRetention(v); err == nil {
			*into = d
		}
	}
}

func parseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad retention %q: want days such as 90d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad retention %q: want 90d, a duration such as 2160h, or 0", s)
	}
	return d, nil
}
