package server_test

import (
	"testing"

	"github.com/mintauth/mint/internal/server"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"sqlite path", "mint.db", "mint.db"},
		{"sqlite scheme", "sqlite:/var/lib/mint/mint.db", "sqlite:/var/lib/mint/mint.db"},
		{"postgres without password", "postgres://mint@db:5432/mint", "postgres://mint@db:5432/mint"},
		{"postgres URL", "postgres://mint:s3cret@db:5432/mint?sslmode=require", "postgres://mint:xxxxx@db:5432/mint?sslmode=require"},
		{"password in query", "postgresql://db/mint?user=mint&password=s3cret", "postgresql://db/mint?user=mint&password=xxxxx"},
		{"keyword form", "host=db user=mint password=s3cret dbname=mint", "host=db user=mint password=xxxxx dbname=mint"},
		{"keyword form quoted", "host=db password='a b c' dbname=mint", "host=db password=xxxxx dbname=mint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := server.RedactDSN(tt.dsn); got != tt.want {
				t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
		})
	}
}
