package gateway

import (
	"slices"
	"testing"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		in   string
		want Rule
		bad  bool
	}{
		{in: "GET /ws/rest/{resource...} read:cargo,write:cargo",
			want: Rule{Method: "GET", Pattern: "/ws/rest/{resource...}", Scopes: []string{"read:cargo", "write:cargo"}}},
		{in: "  /health  ", want: Rule{Pattern: "/health"}},
		{in: "/admin/ admin", want: Rule{Pattern: "/admin/", Scopes: []string{"admin"}}},
		{in: "DELETE /ws/rest/Cargo/{id}", want: Rule{Method: "DELETE", Pattern: "/ws/rest/Cargo/{id}"}},
		{in: "", bad: true},
		{in: "GET", bad: true},
		{in: "GET ws/rest", bad: true},
		{in: "GET /a read,,write", bad: true},
		{in: "GET /a read write", bad: true},
		{in: "GE(T /a", bad: true},
		{in: "GET /a/{x", bad: true},
		{in: "GET /a/{x}/{x}", bad: true},
		{in: `GET /a sc"ope`, bad: true},
		{in: "GET /events/ read:events upgrade=websocket",
			want: Rule{Method: "GET", Pattern: "/events/", Scopes: []string{"read:events"}, Upgrade: []string{"websocket"}}},
		{in: "/events/ upgrade=websocket,foo", want: Rule{Pattern: "/events/", Upgrade: []string{"websocket", "foo"}}},
		{in: "GET /a upgrade=h2c", bad: true},
		{in: "GET /a upgrade=H2C", bad: true},
		{in: "GET /a upgrade=", bad: true},
		{in: "GET /a upgrade=web(socket", bad: true},
		{in: "GET /a upgrade=websocket read", bad: true},
		{in: "GET /a read,upgrade=websocket", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseRule(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseRule(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.Method != tt.want.Method || got.Pattern != tt.want.Pattern ||
			!slices.Equal(got.Scopes, tt.want.Scopes) || !slices.Equal(got.Upgrade, tt.want.Upgrade) {
			t.Errorf("ParseRule(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	rules, err := ParseRules("GET /a read; ;POST /a write")
	if err != nil || len(rules) != 2 || rules[1].Method != "POST" {
		t.Errorf("ParseRules: %+v, %v", rules, err)
	}
}

// FuzzParseRule: the parser never panics (ServeMux panics on bad patterns),
// and a rule it accepts reads back the same from its String.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"GET /ws/rest/{resource...} read:cargo,write:cargo", "/", "POST /a/{b}/c x",
		"GET /{$}", "GET example.com/", "/a/{x...}/b", "PUT /%zz a", "GET /a/{x}/{x}",
		"GET /e/ s upgrade=websocket"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		again, err := ParseRule(r.String())
		if err != nil || again.String() != r.String() {
			t.Fatalf("%q parsed to %q, which reads back as %q, %v", s, r, again, err)
		}
	})
}
