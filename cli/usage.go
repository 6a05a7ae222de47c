package cli

import (
	"fmt"
	"io"
)

// serverCommands are run by cmd/mint itself, not by this package; usage
// lists them so that `mint help` shows everything.
var serverCommands = [][2]string{
	{"serve", "run the token server and its admin API"},
	{"gateway", "run a reverse proxy that passes on only requests bearing a valid mint token"},
}

const commonFlagsText = `Flags of every command (flags may follow the arguments: mint clients get ID --json):
  --server URL        mint server (default $MINT_SERVER, else ` + defaultServer + `)
  --client-id ID      your client id (default $MINT_CLIENT_ID); in the grants
                      commands --client-id names the grant's client instead
  --client-secret S   your client secret (default $MINT_CLIENT_SECRET; prefer the
                      environment: flags show in ps)
  --json              print the server's JSON instead of a table
`

const exitCodesText = `Exit codes:
  0  success
  1  the server refused the request; its error is printed on stderr as
     "mint: <error>: <error_description>", and with --json its error object
     on stdout too
  2  usage error: unknown command, bad flag or argument, no credentials
  3  the server could not be reached, or did not answer with mint's JSON
  4  authentication failed: the token endpoint refused the credentials, or
     the admin API answered 401 or 403
`

// mainUsage prints the usage of the whole CLI.
func mainUsage(w io.Writer) {
	fmt.Fprint(w, "mint is an OAuth 2.0 client credentials token server for machines.\n\n")
	fmt.Fprint(w, "usage: mint <command> [arguments] [flags]\n\nServer:\n")
	for _, c := range serverCommands {
		fmt.Fprintf(w, "  mint %-8s %s\n", c[0], c[1])
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s: %s\n", g.title, g.summary)
		g.listCommands(w)
	}
	fmt.Fprintf(w, "\n%s\n%s\n", commonFlagsText, exitCodesText)
	fmt.Fprint(w, "Run 'mint <command> -h' for the flags of one command.\n")
}

// usage prints the usage of one group of commands.
func (g *group) usage(w io.Writer) {
	fmt.Fprintf(w, "mint %s: %s\n\nusage:\n", g.name, g.summary)
	g.listCommands(w)
	fmt.Fprintf(w, "\n%s\n%s", commonFlagsText, exitCodesText)
}

func (g *group) listCommands(w io.Writer) {
	for i := range g.commands {
		cmd := &g.commands[i]
		fmt.Fprintf(w, "  mint %s\n      %s\n", cmd.synopsis(g), cmd.summary)
	}
}
