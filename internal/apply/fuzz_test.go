package apply

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: whatever a file holds, Load answers without panicking, with
// either a configuration that plans, or problems that each name the file.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{okAPI, "version: 1\nclients:\n  - {id: c, name: C, jwks: {keys: []}}\n",
		"version: 1\napis: [{audience: a, name: A, scopes: [r]}]\nclients: [{id: c, name: C}]\ngrants: [{client: c, audience: a, scopes: [r]}]\n",
		"a: &a [*a, *a]\n",
		"version: 1\nclients:\n  - {id: c, name: C, federated_credentials: [{jwks_uri: 'https://k/j'}, {issuer: 'https://i', subject: s, audience: a, claims: {x: 'y*'}}]}\n", "version: !!binary AQ==\n", "version: 1\n---\n", "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := LoadBytes("f.yaml", data)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 || len(ps) > maxErrors {
				t.Fatalf("error %v is not 1 to %d Problems", err, maxErrors)
			}
			for _, p := range ps {
				if p.File != "f.yaml" || p.Line < 0 || p.Msg == "" {
					t.Fatalf("problem %+v does not say where and what", p)
				}
			}
			return
		}
		for _, prune := range []bool{false, true} {
			p, err := MakePlan(cfg, State{}, prune)
			if err != nil {
				continue
			}
			p.Render(io.Discard)
			want := len(cfg.APIs) + len(cfg.Clients) + len(cfg.Grants)
			for _, c := range cfg.Clients {
				want += len(c.V.FederatedCredentials)
			}
			if c, u, d := p.Counts(); u != 0 || d != 0 || c != want {
				t.Fatalf("against an empty state the plan has %d/%d/%d steps, want %d creates", c, u, d, want)
			}
		}
	})
}
