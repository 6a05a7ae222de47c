package cargo

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func ids(rows []any) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r.(map[string]any)["id"].(float64))
	}
	return out
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		filters  []string
		want     []float64
	}{
		{"no filter", "Cargo", nil, []float64{1001, 1002, 1003, 1004}},
		{"seed filter: any sub-cargo", "Cargo", []string{"subCargos.freight(GTE)2500000"}, []float64{1001, 1003}},
		{"GT excludes equal", "Cargo", []string{"subCargos.freight(GT)2500000"}, []float64{1001}},
		{"LT", "Cargo", []string{"subCargos.freight(LT)100000"}, []float64{1001}},
		{"string EQ", "Cargo", []string{"commodity(EQ)Coal"}, []float64{1002}},
		{"string NE", "Voyage", []string{"status(NE)Completed"}, []float64{501, 502}},
		{"list of numbers", "Voyage", []string{"cargoIds(EQ)1003"}, []float64{502}},
		{"filters combine", "Cargo", []string{"subCargos.freight(GTE)2500000", "loadPort(EQ)Santos"}, []float64{1003}},
		{"no match is an empty list", "Voyage", []string{"daysAtSea(GT)100"}, nil},
		{"LTE", "Voyage", []string{"daysAtSea(LTE)14"}, []float64{501, 502}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := query(tt.resource, tt.filters)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if rows == nil {
				t.Fatal("rows is nil; want a JSON list, [] when empty")
			}
			if got := ids(rows); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueryRefuses(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		filter   string
		status   int
		message  string
	}{
		{"unknown resource", "Invoice", "", 404, "Resource Invoice not found."},
		{"no operator", "Cargo", "subCargos.freight", 400, "Filter subCargos.freight invalid: want FIELD(OP)VALUE."},
		{"unclosed operator", "Cargo", "id(GTE", 400, "Filter id(GTE invalid: want FIELD(OP)VALUE."},
		{"unknown operator", "Cargo", "id(LIKE)1", 400, `Filter id(LIKE)1 invalid: unknown operator "LIKE", want EQ, NE, GT, GTE, LT or LTE.`},
		{"empty field", "Cargo", "subCargos.(EQ)1", 400, "Filter subCargos.(EQ)1 invalid: empty field name."},
		{"unknown field", "Cargo", "vessel(EQ)x", 400, "Filter vessel(EQ)x invalid: Cargo has no field vessel."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var filters []string
			if tt.filter != "" {
				filters = []string{tt.filter}
			}
			_, err := query(tt.resource, filters)
			if err == nil {
				t.Fatal("query succeeded, want a refusal")
			}
			if err.status != tt.status || err.message != tt.message {
				t.Errorf("got %d %q, want %d %q", err.status, err.message, tt.status, tt.message)
			}
		})
	}
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{"subCargos.freight(GTE)2500000", "commodity(EQ)Coal", "a((b))c", ")(", "x.(EQ)", "id(LT)1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := query("Cargo", []string{s})
		switch {
		case err != nil:
			if err.status != 400 || !strings.HasPrefix(err.message, "Filter ") {
				t.Fatalf("refusal %d %q", err.status, err.message)
			}
		case rows == nil:
			t.Fatal("nil rows without error")
		default:
			if _, jerr := json.Marshal(rows); jerr != nil {
				t.Fatal(jerr)
			}
		}
	})
}
