package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// defaultServer is where the CLI looks for mint without --server or
// $MINT_SERVER.
const defaultServer = "http://127.0.0.1:8080"

// options are the flags every command takes.
type options struct {
	server       string
	clientID     string
	clientSecret string
	json         bool
}

// register adds the common flags to fs. The credential flags have no
// default, so that usage never prints a secret taken from the environment.
// withClientID is false where --client-id means something else.
func (o *options) register(fs *flag.FlagSet, withClientID bool) {
	fs.StringVar(&o.server, "server", "", "mint server `URL` (default $MINT_SERVER, else "+defaultServer+")")
	if withClientID {
		fs.StringVar(&o.clientID, "client-id", "", "your client `ID` (default $MINT_CLIENT_ID)")
	}
	fs.StringVar(&o.clientSecret, "client-secret", "", "your client `secret` (default $MINT_CLIENT_SECRET; prefer the environment)")
	fs.BoolVar(&o.json, "json", false, "print the server's JSON instead of a table")
}

// resolve fills what the flags left empty from the environment and checks
// the server URL.
func (o *options) resolve(getenv func(string) string) error {
	o.server = firstSet(o.server, getenv("MINT_SERVER"), defaultServer)
	o.clientID = firstSet(o.clientID, getenv("MINT_CLIENT_ID"))
	o.clientSecret = firstSet(o.clientSecret, getenv("MINT_CLIENT_SECRET"))
	u, err := url.Parse(o.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: fmt.Sprintf("bad server URL %q: want http(s)://host[:port]", o.server)}
	}
	o.server = strings.TrimRight(o.server, "/")
	return nil
}

// needCredentials reports a usage error when the credentials are missing.
func (o *options) needCredentials() error {
	if o.clientID == "" || o.clientSecret == "" {
		return &usageError{msg: "no credentials: set MINT_CLIENT_ID and MINT_CLIENT_SECRET"}
	}
	return nil
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseInterspersed parses args into fs, allowing flags after positional
// arguments (mint clients get ID --json), and returns the positional
// arguments. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// newFlagSet returns a flag set that reports its errors to the caller
// rather than printing them, with synopsis as its usage line.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mint %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses args into fs and checks that exactly want positional
// arguments are left.
func parseArgs(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, errHelp
	case err != nil:
		return nil, usagef(fs, "%v", err)
	case len(pos) != want && want == 0:
		return nil, usagef(fs, "unexpected argument %q", pos[0])
	case len(pos) != want:
		return nil, usagef(fs, "want %d argument%s, got %d", want, plural(want), len(pos))
	}
	return pos, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// scopeFlags are --scope S (repeatable) and --scopes "a b", merged.
type scopeFlags struct {
	one  stringList
	many string
}

func (s *scopeFlags) register(fs *flag.FlagSet, what string) {
	fs.Var(&s.one, "scope", "one `scope` of "+what+" (repeatable)")
	fs.StringVar(&s.many, "scopes", "", "space-separated `list` of "+what)
}

// list returns the scopes given, in order, without duplicates.
func (s *scopeFlags) list() []string {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range append(append([]string{}, s.one...), strings.Fields(s.many)...) {
		for _, f := range strings.Fields(v) {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// isSet reports whether the flag called name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
