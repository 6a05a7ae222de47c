package cli

import "context"

// command is one thing the CLI does, such as `mint clients get`.
type command struct {
	// name follows the group's name; it is empty for a group that is a
	// single command, such as `mint token`.
	name string
	// args is the synopsis after the name.
	args    string
	summary string
	run     func(ctx context.Context, c *call) error
}

// group is a resource kind and its commands, such as `mint clients`.
type group struct {
	name    string
	title   string
	summary string
	// clientIDFlag is true where --client-id names a resource rather than
	// the caller, who then comes from $MINT_CLIENT_ID.
	clientIDFlag bool
	commands     []command
}

// groups are the commands of the CLI, in the order usage lists them.
var groups = []*group{
	{name: "apis", title: "APIs", summary: "the APIs that accept mint's tokens", commands: []command{
		{"create", `--name N --audience AUD [--scope S]... [--scopes "a b"] [--token-lifetime SECONDS] [--signing-alg ALG] [--audit-issuance all|sample:N|off]`, "register an API", apisCreate},
		{"list", "", "list the APIs", apisList},
		{"get", "ID", "show one API", apisGet},
		{"update", `ID [--name N] [--scope S]... [--scopes "a b"] [--token-lifetime SECONDS] [--signing-alg ALG] [--audit-issuance all|sample:N|off]`, "change an API's name, scopes, token lifetime, signing algorithm or issuance auditing", apisUpdate},
		{"delete", "ID", "delete an API and its grants", apisDelete},
	}},
	{name: "clients", title: "Clients", summary: "the machines that ask for tokens", commands: []command{
		{"create", "--name N [--jwks-file FILE] [--introspect-all]", "register a client and show its secret, once", clientsCreate},
		{"list", "", "list the clients", clientsList},
		{"get", "ID", "show one client and its secrets' dates", clientsGet},
		{"update", "ID [--name N] [--jwks-file FILE] [--introspect-all[=false]]", "rename a client, set its public keys or its right to introspect others' tokens", clientsUpdate},
		{"delete", "ID [--revoke-tokens]", "delete a client, its secrets and its grants", clientsDelete},
		{"rotate-secret", "ID [--old-secret-ttl SECONDS] [--revoke-tokens]", "give a client a new secret, shown once; older ones stop working after SECONDS (default 0: now)", clientsRotate},
	}},
	{name: "grants", title: "Grants", summary: "which client may get tokens for which API", clientIDFlag: true, commands: []command{
		{"create", `--client-id ID --audience AUD [--scope S]... [--scopes "a b"]`, "let a client get tokens for an API", grantsCreate},
		{"list", "[--client-id ID]", "list the grants, or one client's", grantsList},
		{"get", "ID", "show one grant", grantsGet},
		{"update", `ID [--scope S]... [--scopes "a b"]`, "change a grant's scopes", grantsUpdate},
		{"delete", "ID", "delete a grant", grantsDelete},
	}},
	{name: "keys", title: "Signing keys", summary: "the keys that sign tokens, and their rotation", commands: []command{
		{"list", "", "list the signing keys with their state and dates", keysList},
		{"rotate", "[--algorithm ALG] [--immediate]", "start a new signing key: published now, signing once JWKS caches have it (or at once with --immediate)", keysRotate},
	}},
	{name: "audit", title: "Audit log", summary: "the record of admin changes, failed authentications and tokens issued", clientIDFlag: true, commands: []command{
		{"list", "[--client-id ID] [--kind K] [--since T] [--until T] [--limit N] [--follow] [--out FILE]", "show audit records (kinds: " + auditKinds + "); --json or --out give JSON lines", auditList},
		{"verify", "[--db PATH]", "check the audit log's hash chain, through the server or on a database (--db); exit 1 naming the first broken record", auditVerify},
	}},
	{name: "token", title: "Token", summary: "get an access token with your client's credentials", commands: []command{
		{"", `[--audience AUD] [--scope S]... [--scopes "a b"] [--token-url URL]`, "print an access token (the whole answer with --json)", tokenCmd},
	}},
	{name: "verify", title: "Verify", summary: "check a token as an API would, against the server's published keys", commands: []command{
		{"", "--audience AUD TOKEN", "print the token's verified claims, or why it is refused (exit 1)", verifyCmd},
	}},
}

func findGroup(name string) *group {
	for _, g := range groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

func (g *group) find(name string) *command {
	for i := range g.commands {
		if g.commands[i].name == name {
			return &g.commands[i]
		}
	}
	return nil
}

// path is the command's name as typed: "clients get".
func (cmd *command) path(g *group) string {
	if cmd.name == "" {
		return g.name
	}
	return g.name + " " + cmd.name
}

// synopsis is the command's usage line without "mint ".
func (cmd *command) synopsis(g *group) string {
	s := cmd.path(g)
	if cmd.args != "" {
		s += " " + cmd.args
	}
	return s + " [flags]"
}
