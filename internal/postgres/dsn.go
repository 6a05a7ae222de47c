package postgres

import (
	"regexp"
	"strings"
)

// keywordDSN matches a libpq keyword/value connection string, such as
// "host=db1,db2 dbname=mint target_session_attrs=read-write": a keyword
// libpq knows for the server, at the start or after a space. A file path
// does not (a SQLite file named host=x.db would need sqlite:host=x.db).
var keywordDSN = regexp.MustCompile(`(^|\s)(host|hostaddr|port|dbname|user|service)\s*=`)

// IsDSN reports whether s names a PostgreSQL server rather than a SQLite
// file: a postgres:// or postgresql:// URL, or a keyword/value string.
func IsDSN(s string) bool {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return true
	}
	return !strings.HasPrefix(s, "sqlite:") && keywordDSN.MatchString(s)
}
