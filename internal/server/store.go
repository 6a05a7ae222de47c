package server

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/sqlite"
)

// OpenStore opens the backend a database URL names: a file path or
// "sqlite:PATH" is an embedded SQLite file; "postgres://" and
// "postgresql://" name a PostgreSQL server (see package postgres for the
// parameters it reads, search_path among them).
func OpenStore(ctx context.Context, dsn string) (mint.Store, error) {
	switch {
	case postgres.IsDSN(dsn):
		return postgres.Open(ctx, dsn)
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	}
	if dsn == "" {
		return nil, fmt.Errorf("no database: give --db a file path or a postgres:// URL")
	}
	return sqlite.Open(ctx, dsn)
}

// passwordSetting matches the password of a libpq keyword/value string.
var passwordSetting = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// RedactDSN returns dsn fit for a log line: any password replaced by "xxxxx".
func RedactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		dsn = u.Redacted()
	}
	return passwordSetting.ReplaceAllString(dsn, "${1}xxxxx")
}
