package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// command is one thing the CLI does, such as `mint clients get`.
type command struct {
	// use is the name and the synopsis of its arguments, as cobra takes it.
	use     string
	nargs   int
	summary string
	// build defines the command's own flags on c and returns what runs it
	// once they are parsed.
	build func(c *call) runFunc
	// args names what its positional argument is, for completion.
	args argKind
	// targetClient marks the commands where --client-id still names the
	// client the command is about (see targetClientFlag).
	targetClient bool
}

// runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, pos []string) error

// group is a resource kind and its commands, such as `mint clients`.
type group struct {
	name     string
	summary  string
	commands []command
}

// groups are the admin commands, in the order help lists them.
var groups = []group{
	{name: "apis", summary: "the APIs that accept mint's tokens", commands: []command{
		{"create --name N --audience AUD [--scope S]... [--token-lifetime SECONDS] [--signing-alg ALG] [--audit-issuance all|sample:N|off]", 0, "register an API", apisCreate, argNone, false},
		{"list", 0, "list the APIs", apisList, argNone, false},
		{"get ID", 1, "show one API", apisGet, argAPI, false},
		{"update ID [--name N] [--scope S]... [--token-lifetime SECONDS] [--signing-alg ALG] [--audit-issuance all|sample:N|off]", 1, "change an API's name, scopes, token lifetime, signing algorithm or issuance auditing", apisUpdate, argAPI, false},
		{"delete ID", 1, "delete an API and its grants", apisDelete, argAPI, false},
	}},
	{name: "clients", summary: "the machines that ask for tokens", commands: []command{
		{"create --name N [--jwks-file FILE] [--introspect-all]", 0, "register a client and show its secret, once", clientsCreate, argNone, false},
		{"list", 0, "list the clients", clientsList, argNone, false},
		{"get ID", 1, "show one client and its secrets' dates", clientsGet, argClient, false},
		{"update ID [--name N] [--jwks-file FILE] [--introspect-all[=false]]", 1, "rename a client, set its public keys or its right to introspect others' tokens", clientsUpdate, argClient, false},
		{"delete ID [--revoke-tokens]", 1, "delete a client, its secrets and its grants", clientsDelete, argClient, false},
		{"rotate-secret ID [--old-secret-ttl SECONDS] [--revoke-tokens]", 1, "give a client a new secret, shown once; older ones stop working after SECONDS (default 0: now)", clientsRotate, argClient, false},
	}},
	federatedGroup,
	{name: "grants", summary: "which client may get tokens for which API", commands: []command{
		{"create --client ID --audience AUD [--scope S]...", 0, "let a client get tokens for an API", grantsCreate, argNone, true},
		{"list [--client ID]", 0, "list the grants, or one client's", grantsList, argNone, true},
		{"get ID", 1, "show one grant", grantsGet, argGrant, false},
		{"update ID [--scope S]...", 1, "change a grant's scopes", grantsUpdate, argGrant, false},
		{"delete ID", 1, "delete a grant", grantsDelete, argGrant, false},
	}},
	{name: "keys", summary: "the keys that sign tokens, and their rotation", commands: []command{
		{"list", 0, "list the signing keys with their state and dates", keysList, argNone, false},
		{"rotate [--algorithm ALG] [--immediate]", 0, "start a new signing key: published now, signing once JWKS caches have it (or at once with --immediate)", keysRotate, argNone, false},
	}},
	{name: "audit", summary: "the record of admin changes, failed authentications and tokens issued", commands: []command{
		{"list [--client ID] [--kind K] [--since T] [--until T] [--limit N] [--follow] [--out FILE]", 0, "show audit records (kinds: " + auditKinds + "); --json or --out give JSON lines", auditList, argNone, true},
		{"verify [--db PATH]", 0, "check the audit log's hash chain, through the server or on a database (--db); exit 1 naming the first broken record", auditVerify, argNone, false},
	}},
}

// tokenCommands are the commands about tokens, at the top level.
var tokenCommands = []command{
	{"token [--audience AUD] [--scope S]... [--token-url URL]", 0, "print an access token got with your client's credentials (the whole answer with --json)", tokenCmd, argNone, false},
	{"verify --audience AUD TOKEN", 1, "check a token as an API would, against the server's published keys: its claims, or why it is refused (exit 1)", verifyCmd, argNone, false},
}

// Command groups of the top-level help, in its order.
const (
	groupServer = "server"
	groupAdmin  = "admin"
	groupTokens = "tokens"
	groupSetup  = "setup"
)

// adminGroup is the cobra command of a group: it only lists its commands,
// and names an unknown one with a suggestion.
func (inv *invocation) adminGroup(g *group) *cobra.Command {
	gc := &cobra.Command{
		Use: g.name, Short: g.summary, GroupID: groupAdmin,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: g.name + ": no subcommand given", usage: helpText(cmd)}
			}
			return unknownCommand(cmd, args[0])
		},
	}
	for i := range g.commands {
		gc.AddCommand(inv.leaf(&g.commands[i]))
	}
	return gc
}

// leaf is the cobra command that runs cmd: the common flags, the
// command's own, the check of its arguments and the resolution of the
// server and credentials before it runs.
func (inv *invocation) leaf(cmd *command) *cobra.Command {
	cc := &cobra.Command{Use: cmd.use, Short: cmd.summary, Args: exactArgs(cmd.nargs)}
	if cmd.targetClient {
		cc.Long = "Your own client id comes from $MINT_CLIENT_ID or the context here: until --client replaced it,\n" +
			"--client-id named the target client in this command, and it still does (deprecated)."
	}
	c := &call{invocation: inv, cmd: cc, fs: cc.Flags()}
	c.opts.register(c.fs, !cmd.targetClient)
	run := cmd.build(c)
	cc.RunE = func(_ *cobra.Command, args []string) error {
		inv.json = c.opts.json
		c.warnDeprecated()
		if err := c.opts.resolve(inv.getenv); err != nil {
			return err
		}
		return run(cc.Context(), args)
	}
	c.registerCompletions(cmd.args)
	return cc
}

// exactArgs checks that a command has n positional arguments.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) != n && n == 0:
			return usagef(cmd, "unexpected argument %q", args[0])
		case len(args) != n:
			return usagef(cmd, "want %d argument%s, got %d", n, plural(n), len(args))
		}
		return nil
	}
}

// NoArgs refuses positional arguments with a usage error (exit code 2).
var NoArgs = exactArgs(0)
