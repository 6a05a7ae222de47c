package cli

import (
	"errors"
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPos  []string
		wantJSON bool
		wantName string
	}{
		{"nothing", nil, nil, false, ""},
		{"flags first", []string{"--json", "--name", "n", "ID"}, []string{"ID"}, true, "n"},
		{"flags after", []string{"ID", "--json"}, []string{"ID"}, true, ""},
		{"mixed", []string{"A", "--name=n", "B", "-json"}, []string{"A", "B"}, true, "n"},
		{"double dash", []string{"A", "--", "--json"}, []string{"A", "--json"}, false, ""},
		{"dash dash first", []string{"--", "-x"}, []string{"-x"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			asJSON := fs.Bool("json", false, "")
			name := fs.String("name", "", "")
			pos, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pos, tt.wantPos) || *asJSON != tt.wantJSON || *name != tt.wantName {
				t.Errorf("got %q json=%v name=%q, want %q json=%v name=%q",
					pos, *asJSON, *name, tt.wantPos, tt.wantJSON, tt.wantName)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		want  int
		usage bool
		help  bool
	}{
		{"exact", []string{"ID"}, 1, false, false},
		{"missing", nil, 1, true, false},
		{"extra", []string{"A", "B"}, 1, true, false},
		{"unexpected", []string{"A"}, 0, true, false},
		{"unknown flag", []string{"--nope"}, 0, true, false},
		{"help", []string{"ID", "-h"}, 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("t", "t")
			_, err := parseArgs(fs, tt.args, tt.want)
			var usage *usageError
			if got := errors.As(err, &usage); got != tt.usage {
				t.Errorf("usage error = %v (%v), want %v", got, err, tt.usage)
			}
			if got := errors.Is(err, errHelp); got != tt.help {
				t.Errorf("help = %v, want %v", got, tt.help)
			}
		})
	}
}

func TestScopeFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var s scopeFlags
	s.register(fs, "scopes")
	if err := fs.Parse([]string{"--scope", "a", "--scopes", " b  c a ", "--scope", "d"}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.list(), []string{"a", "d", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("list() = %q, want %q", got, want)
	}
	var empty scopeFlags
	if got := empty.list(); got == nil || len(got) != 0 {
		t.Errorf("empty list() = %#v, want an empty non-nil slice", got)
	}
}

func TestResolve(t *testing.T) {
	env := map[string]string{"MINT_SERVER": "http://mint.test:9/", "MINT_CLIENT_ID": "env-id", "MINT_CLIENT_SECRET": "env-secret"}
	tests := []struct {
		name    string
		opts    options
		env     map[string]string
		want    options
		wantErr bool
	}{
		{"defaults", options{}, nil, options{server: defaultServer}, false},
		{"environment", options{}, env, options{server: "http://mint.test:9", clientID: "env-id", clientSecret: "env-secret"}, false},
		{"flags win", options{server: "https://a.test", clientID: "f"}, env, options{server: "https://a.test", clientID: "f", clientSecret: "env-secret"}, false},
		{"bad scheme", options{server: "ftp://a.test"}, nil, options{}, true},
		{"no host", options{server: "localhost:8080"}, nil, options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			err := o.resolve(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("resolve() error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && o != tt.want {
				t.Errorf("resolve() = %+v, want %+v", o, tt.want)
			}
		})
	}
}
