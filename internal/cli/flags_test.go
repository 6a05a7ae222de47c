package cli

import (
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// parseWith parses args as the CLI does (cobra, pflag and longFlags) for a
// command with --json and --name that takes want positional arguments.
func parseWith(args []string, want int) (pos []string, asJSON bool, name string, err error) {
	root := &cobra.Command{Use: "mint", SilenceErrors: true, SilenceUsage: true}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usagef(cmd, "%v", err) })
	cmd := &cobra.Command{Use: "t", Args: exactArgs(want), RunE: func(_ *cobra.Command, a []string) error {
		pos = a
		return nil
	}}
	cmd.Flags().BoolVar(&asJSON, "json", false, "")
	cmd.Flags().StringVar(&name, "name", "", "")
	root.AddCommand(cmd)
	root.SetOut(io.Discard)
	root.SetArgs(longFlags(root, append([]string{"t"}, args...)))
	err = root.Execute()
	return pos, asJSON, name, err
}

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
		{"single dash", []string{"-name", "n", "A"}, []string{"A"}, false, "n"},
		{"double dash", []string{"A", "--", "--json"}, []string{"A", "--json"}, false, ""},
		{"dash dash first", []string{"--", "-x"}, []string{"-x"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pos, asJSON, name, err := parseWith(tt.args, len(tt.wantPos))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pos, tt.wantPos) && len(pos)+len(tt.wantPos) > 0 || asJSON != tt.wantJSON || name != tt.wantName {
				t.Errorf("got %q json=%v name=%q, want %q json=%v name=%q",
					pos, asJSON, name, tt.wantPos, tt.wantJSON, tt.wantName)
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
	}{
		{"exact", []string{"ID"}, 1, false},
		{"missing", nil, 1, true},
		{"extra", []string{"A", "B"}, 1, true},
		{"unexpected", []string{"A"}, 0, true},
		{"unknown flag", []string{"--nope"}, 0, true},
		{"help", []string{"ID", "-h"}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := parseWith(tt.args, tt.want)
			var usage *usageError
			if got := errors.As(err, &usage); got != tt.usage {
				t.Errorf("usage error = %v (%v), want %v", got, err, tt.usage)
			}
		})
	}
}

func TestScopeFlags(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
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
