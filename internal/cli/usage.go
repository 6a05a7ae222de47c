package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mintauth/mint/internal/buildinfo"
)

// One help format for every command, the server ones included: what it
// does, its usage line, then its subcommands or its flags (pflag's list,
// --long-names), then the exit codes.

const commonFlagsText = `Flags of every admin, token and verify command (flags may follow the arguments:
mint clients get ID --json):
  --server URL        mint server (default $MINT_SERVER, else the context's, else ` + defaultServer + `)
  --client-id ID      your own client id (default $MINT_CLIENT_ID, else the context's)
  --client-secret S   your client secret (default $MINT_CLIENT_SECRET, else the
                      context's; prefer those: a flag shows in ps)
  --context NAME      a context of the config file (mint login; default the current one)
  --json              print the server's JSON instead of a table
--client names the client a grants or audit command is about.
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

// helpText prints cmd's help.
func helpText(cmd *cobra.Command) func(io.Writer) {
	return func(w io.Writer) {
		switch {
		case !cmd.HasParent():
			rootHelp(w, cmd)
		case cmd.HasAvailableSubCommands():
			groupHelp(w, cmd)
		default:
			leafHelp(w, cmd)
		}
	}
}

// shortUsage prints the usage line that follows a usage error.
func shortUsage(cmd *cobra.Command) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintf(w, "usage: %s\nRun '%s --help' for its flags.\n", cmd.UseLine(), cmd.CommandPath())
	}
}

func rootHelp(w io.Writer, root *cobra.Command) {
	fmt.Fprintf(w, "%s\n\nusage: mint <command> [arguments] [flags]\n", root.Short)
	for _, g := range root.Groups() {
		fmt.Fprintf(w, "\n%s\n", g.Title)
		for _, c := range root.Commands() {
			if c.GroupID != g.ID || !c.IsAvailableCommand() && c.Name() != "help" {
				continue
			}
			fmt.Fprintf(w, "  mint %-11s %s\n", c.Name(), c.Short)
			if g.ID == groupAdmin {
				fmt.Fprintf(w, "  %-16s %s\n", "", strings.Join(subcommandNames(c), ", "))
			}
		}
	}
	fmt.Fprintf(w, "\n%s\n%s\n", commonFlagsText, exitCodesText)
	fmt.Fprint(w, "Run 'mint help <command>' or 'mint <command> --help' for one command's usage and flags.\n")
}

func subcommandNames(c *cobra.Command) []string {
	var names []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	return names
}

func groupHelp(w io.Writer, g *cobra.Command) {
	fmt.Fprintf(w, "%s: %s\n\nusage:\n", g.CommandPath(), g.Short)
	for _, c := range g.Commands() {
		if c.IsAvailableCommand() {
			fmt.Fprintf(w, "  %s\n      %s\n", c.UseLine(), c.Short)
		}
	}
	if g.GroupID == groupAdmin {
		fmt.Fprintf(w, "\n%s\n%s", commonFlagsText, exitCodesText)
	}
}

func leafHelp(w io.Writer, c *cobra.Command) {
	fmt.Fprintf(w, "%s: %s\n\nusage: %s\n", c.CommandPath(), c.Short, c.UseLine())
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Long))
	}
	if flags := c.LocalFlags().FlagUsages(); flags != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", flags)
	}
	fmt.Fprint(w, "\nExit codes: 0 success, 1 refused, 2 usage error, 3 server unreachable, 4 authentication failed ('mint help' says more).\n")
}

// helpCommand is `mint help [command...]`: the help of the command named,
// or a short error with suggestions when there is none.
func (inv *invocation) helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use: "help [command]", Short: "show the help of mint or of one command",
		RunE: func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == nil {
				cmd, rest = root, args
			}
			if len(rest) > 0 {
				return unknownCommand(cmd, rest[0])
			}
			helpText(cmd)(inv.stdout)
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// versionCommand is `mint version [--json]`; `mint --version` prints the
// same line.
func (inv *invocation) versionCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use: "version", Short: "print mint's version, commit, build date and Go version", Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			info := buildinfo.Read()
			if !asJSON {
				_, err := fmt.Fprintln(inv.stdout, info.String())
				return err
			}
			body, err := json.Marshal(info)
			if err != nil {
				return err
			}
			return writeJSON(inv.stdout, body)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return c
}
