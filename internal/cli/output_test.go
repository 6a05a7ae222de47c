package cli

import (
	"bytes"
	"context"
	goldenfile "github.com/mintauth/mint/internal/golden"
	"path/filepath"
	"testing"
	"text/tabwriter"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Assert(t, filepath.Join("testdata", name), got)
}

// table renders v with render, as show does.
func table[T any](render func(*tabwriter.Writer, T), v T) []byte {
	var buf bytes.Buffer
	tw := newTable(&buf)
	render(tw, v)
	tw.Flush()
	return buf.Bytes()
}

func TestTables(t *testing.T) {
	const created, updated = "2025-03-01T10:00:00.123456Z", "2025-03-02T11:30:00Z"
	api := apiView{ID: "api_1", Name: "Dataloy", Audience: "https://dataloy", Scopes: []string{"read:cargo", "write:cargo"},
		TokenLifetime: 86400, CreatedAt: created, UpdatedAt: updated}
	bare := apiView{ID: "api_22", Name: "No scopes", Audience: "urn:x", TokenLifetime: 5400, CreatedAt: created}
	client := clientView{ClientID: "G99j845dM4MtckQlKt8E6o", Name: "cargo sync", CreatedAt: created, UpdatedAt: updated,
		Secrets: []secretView{
			{ID: "sec_old", CreatedAt: created, ExpiresAt: updated, LastUsedAt: updated},
			{ID: "sec_new", CreatedAt: updated},
		}}
	fresh := clientView{ClientID: "G99j845dM4MtckQlKt8E6o", Name: "cargo sync", ClientSecret: "s3cr3t", CreatedAt: created, UpdatedAt: created}
	grant := grantView{ID: "grt_1", ClientID: client.ClientID, Audience: "https://dataloy", Scopes: []string{"read:cargo"}, CreatedAt: created, UpdatedAt: created}
	tests := []struct {
		name string
		got  []byte
	}{
		{"apis_list.golden", table(apiTable, []apiView{api, bare})},
		{"apis_get.golden", table(apiDetail, api)},
		{"clients_list.golden", table(clientTable, []clientView{client, fresh})},
		{"clients_get.golden", table(clientDetail, client)},
		{"clients_create.golden", table(clientDetail, fresh)},
		{"grants_list.golden", table(grantTable, []grantView{grant})},
		{"grants_get.golden", table(grantDetail, grant)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, tt.got) })
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"help"}, func(string) string { return "" }, &stdout, &stderr); code != exitOK {
		t.Fatalf("mint help: exit %d: %s", code, stderr.String())
	}
	golden(t, "usage.golden", stdout.Bytes())
}

func TestFormatLifetime(t *testing.T) {
	tests := map[int64]string{
		86400: "24h (86400s)", 3600: "1h (3600s)", 5400: "1h30m (5400s)",
		60: "1m (60s)", 90: "1m30s (90s)", 45: "45s (45s)", 0: "0s (0s)",
	}
	for in, want := range tests {
		if got := formatLifetime(in); got != want {
			t.Errorf("formatLifetime(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tests := map[string]string{
		"2025-03-01T10:00:00.5Z":    "2025-03-01 10:00:00Z",
		"2025-03-01T12:00:00+02:00": "2025-03-01 10:00:00Z",
		"":                          "-",
		"yesterday":                 "yesterday",
	}
	for in, want := range tests {
		if got := formatTime(in); got != want {
			t.Errorf("formatTime(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, []byte(`{"b":1,"a":[12345678901234567890,"x"]}`)); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"b\": 1,\n  \"a\": [\n    12345678901234567890,\n    \"x\"\n  ]\n}\n"
	if buf.String() != want {
		t.Errorf("writeJSON = %q, want %q", buf.String(), want)
	}
	if err := writeJSON(&buf, []byte("<html>")); exitCode(err) != exitUnreachable {
		t.Errorf("writeJSON(html) exit code = %d, want %d", exitCode(err), exitUnreachable)
	}
}
