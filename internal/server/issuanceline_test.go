package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/logline"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

// TestIssuanceLine: through mint serve's log handler (package logline,
// which writes this line itself), a token issued by the server is logged
// once, at Info, with its client, audience, scopes and jti, in either
// format; at Warn it is not logged.
func TestIssuanceLine(t *testing.T) {
	tests := []struct {
		format string
		level  slog.Level
		check  func(t *testing.T, line string)
	}{
		{"json", slog.LevelInfo, func(t *testing.T, line string) {
			var got struct {
				Time                         time.Time
				Level, Msg, ClientID, Aud, J string
				Scopes                       []string
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &raw); err != nil {
				t.Fatalf("not JSON: %q: %v", line, err)
			}
			for key, into := range map[string]any{"time": &got.Time, "level": &got.Level, "msg": &got.Msg,
				"client_id": &got.ClientID, "audience": &got.Aud, "scopes": &got.Scopes, "jti": &got.J} {
				if err := json.Unmarshal(raw[key], into); err != nil {
					t.Errorf("%s in %q: %v", key, line, err)
				}
			}
			if got.Level != "INFO" || got.ClientID != "ops-admin" || got.Aud != mint.AdminAudience ||
				len(got.Scopes) == 0 || len(got.J) < 16 || time.Since(got.Time) > time.Minute {
				t.Errorf("line %q", line)
			}
		}},
		{"text", slog.LevelInfo, func(t *testing.T, line string) {
			for _, want := range []string{"level=INFO ", ` msg="token issued" client_id=ops-admin audience=` + mint.AdminAudience + " scopes=", " jti="} {
				if !strings.Contains(line, want) {
					t.Errorf("line %q lacks %q", line, want)
				}
			}
		}},
		{"json", slog.LevelWarn, nil},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.level.String(), func(t *testing.T) {
			var out lockedBuffer
			srv := newServer(t, server.Config{BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret,
				Log: slog.New(logline.New(&out, tc.format, &slog.HandlerOptions{Level: tc.level}))})
			if status := tokenStatus(t, srv, "ops-admin", adminSecret); status != http.StatusOK {
				t.Fatalf("token status %d", status)
			}
			var lines []string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, "token issued") {
					lines = append(lines, l)
				}
			}
			if tc.check == nil {
				if len(lines) != 0 {
					t.Fatalf("at %v: %q", tc.level, lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("%d issuance lines, want 1: %q", len(lines), out.String())
			}
			tc.check(t, lines[0])
		})
	}
}

// lockedBuffer is a log destination the server's goroutines write while
// the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
