package cli

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/pflag"
)

// defaultServer is where the CLI looks for mint without --server,
// $MINT_SERVER or a context.
const defaultServer = "http://127.0.0.1:8080"

// options are the flags every command that talks to a server takes.
type options struct {
	server       string
	clientID     string
	clientSecret string
	json         bool
	// context names the config file's context to use; empty for the
	// current one.
	context string
}

// register adds the common flags to fs. The credential flags have no
// default, so that usage never prints a secret taken from the environment.
// withClientID is false in the few commands where --client-id still names
// the target client (see targetClientFlag).
func (o *options) register(fs *pflag.FlagSet, withClientID bool) {
	fs.StringVar(&o.server, "server", "", "mint server `URL` (default $MINT_SERVER, else the context's, else "+defaultServer+")")
	if withClientID {
		fs.StringVar(&o.clientID, "client-id", "", "your own client `ID` (default $MINT_CLIENT_ID, else the context's)")
	}
	fs.StringVar(&o.clientSecret, "client-secret", "", "your client `secret` (default $MINT_CLIENT_SECRET, else the context's; a flag shows in ps)")
	fs.StringVar(&o.context, "context", "", "the `name` of the config file's context to use (default $MINT_CONTEXT, else the current one)")
	fs.BoolVar(&o.json, "json", false, "print the server's JSON instead of a table")
}

// resolve fills what the flags left empty, from the environment and then
// from the config file's context (not read when nothing is missing), and
// checks the server URL. A context's
// credentials are used only for that context's server and client, so that
// a --server or $MINT_SERVER pointing elsewhere is never sent its secret.
func (o *options) resolve(getenv func(string) string) error {
	o.server = firstSet(o.server, getenv("MINT_SERVER"))
	o.clientID = firstSet(o.clientID, getenv("MINT_CLIENT_ID"))
	o.clientSecret = firstSet(o.clientSecret, getenv("MINT_CLIENT_SECRET"))
	if o.server == "" || o.clientID == "" || o.clientSecret == "" || o.context != "" {
		ctx, err := selectContext(getenv, o.context)
		if err != nil {
			return err
		}
		if ctx != nil {
			o.useContext(ctx)
		}
	}
	o.server = firstSet(o.server, defaultServer)
	u, err := url.Parse(o.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: fmt.Sprintf("bad server URL %q: want http(s)://host[:port]", o.server)}
	}
	o.server = strings.TrimRight(o.server, "/")
	return nil
}

// useContext fills the options still empty from ctx.
func (o *options) useContext(ctx *contextEntry) {
	if o.server == "" {
		o.server = ctx.Server
	}
	if strings.TrimRight(o.server, "/") != strings.TrimRight(ctx.Server, "/") {
		return
	}
	if o.clientID == "" {
		o.clientID = ctx.ClientID
	}
	if o.clientID == ctx.ClientID && o.clientSecret == "" {
		o.clientSecret = ctx.ClientSecret
	}
}

// needCredentials reports a usage error when the credentials are missing.
func (o *options) needCredentials() error {
	if o.clientID == "" || o.clientSecret == "" {
		return &usageError{msg: "no credentials: run mint login, or set MINT_CLIENT_ID and MINT_CLIENT_SECRET"}
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

// scopeFlags are --scope S (repeatable) and --scopes "a b", merged.
type scopeFlags struct {
	one  []string
	many string
}

func (s *scopeFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringArrayVar(&s.one, "scope", nil, "one `scope` of "+what+" (repeatable)")
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

// targetClientFlag registers --client, the client a command is about, and
// --client-id as its hidden old spelling: until this release, grants create,
// grants list and audit list took --client-id for the target, where every
// other command takes it for the caller. The old spelling keeps working
// there and warns on a terminal; see docs/admin.md.
func targetClientFlag(c *call, into *string, usage string) {
	c.fs.StringVar(into, "client", "", usage)
	c.fs.StringVar(into, "client-id", "", usage)
	_ = c.fs.MarkHidden("client-id")
	c.deprecated = append(c.deprecated, [2]string{"client-id", "use --client for the client this command is about; --client-id will name your own client, as in every other command"})
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
