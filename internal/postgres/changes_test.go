package postgres

import (
	"slices"
	"testing"
)

// Notification payloads: migration 00009's JSON with keys, without keys
// (too many), 00020's updates, 00003's "schema.table", other schemas', and
// garbage.
func TestParseChange(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		table         string
		keys          []string
	}{
		{"keyed", `{"schema" : "s1", "table" : "clients", "keys" : ["a","b.c"]}`, "clients", []string{"a", "b.c"}},
		{"no keys", `{"schema" : "s1", "table" : "grants"}`, "grants", nil},
		{"null keys", `{"schema":"s1","table":"grants","keys":null}`, "grants", nil},
		{"client update", `{"schema":"s1","table":"clients","op":"update","keys":["a"]}`, "clients:update", []string{"a"}},
		{"client update, no keys", `{"schema":"s1","table":"clients","op":"update"}`, "clients:update", nil},
		{"API update", `{"schema":"s1","table":"apis","op":"update","keys":null}`, "apis:update", nil},
		{"grant update stays grants", `{"schema":"s1","table":"grants","op":"update","keys":["a"]}`, "grants", []string{"a"}},
		{"other op", `{"schema":"s1","table":"clients","op":"delete","keys":["a"]}`, "clients", []string{"a"}},
		{"other schema update", `{"schema":"s2","table":"clients","op":"update","keys":["a"]}`, "", nil},
		{"other schema keyed", `{"schema":"s2","table":"clients","keys":["a"]}`, "", nil},
		{"table-level", "s1.apis", "apis", nil},
		{"other schema", "s2.apis", "", nil},
		{"schema with dots", "s1.x.apis", "", nil},
		{"no dot", "apis", "", nil},
		{"broken JSON", `{"schema":"s1",`, "?", nil},
		{"JSON without table", `{"schema":"s1"}`, "?", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, keys := parseChange(tc.payload, "s1")
			if table != tc.table || !slices.Equal(keys, tc.keys) {
				t.Errorf("parseChange(%q) = %q, %q; want %q, %q", tc.payload, table, keys, tc.table, tc.keys)
			}
		})
	}
}

// Any payload (the database's, but a NOTIFY on the channel can come from
// any role that may connect) parses without panicking; one that is not
// this schema's names no table, and a table named always comes with the
// schema's own payload.
func FuzzParseChange(f *testing.F) {
	for _, p := range []string{`{"schema":"s1","table":"clients","keys":["a"]}`, "s1.apis", `{"`, "", "."} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		table, keys := parseChange(payload, "s1")
		if table == "" && keys != nil {
			t.Errorf("parseChange(%q): keys %q without a table", payload, keys)
		}
	})
}
