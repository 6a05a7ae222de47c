package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mintauth/mint/internal/buildinfo"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/redirect"
)

// requestTimeout bounds each HTTP request the CLI makes.
const requestTimeout = 30 * time.Second

// Extensions are the commands the mint binary adds to this package's:
// those that run a server or open a database, which this package does not
// import.
type Extensions struct {
	// Server are `mint serve`, `mint gateway` and their like; they report
	// their own failures and return ExitCode.
	Server []*cobra.Command
	// VerifyAuditDB runs `mint audit verify --db PATH`.
	VerifyAuditDB func(ctx context.Context, db string, asJSON bool) error
	// OpenStore opens the database `mint import clients --db` names.
	OpenStore func(ctx context.Context, db string) (mint.Store, error)
}

// invocation is one run of the CLI: its environment and outputs.
type invocation struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	http           *http.Client
	ext            Extensions
	// json is set once a command has parsed --json.
	json bool
}

// call is one command being built and run: its cobra command, flag set and
// common options.
type call struct {
	*invocation
	cmd  *cobra.Command
	fs   *pflag.FlagSet
	opts options
	// deprecated are old flag spellings and what to say when one is used.
	deprecated [][2]string
}

// admin returns a client of the admin API, authenticated with the caller's
// credentials.
func (c *call) admin(ctx context.Context) (*adminAPI, error) {
	if err := c.opts.needCredentials(); err != nil {
		return nil, err
	}
	return connectAdmin(ctx, c.http, &c.opts, newTokenCache(c.getenv, &c.opts))
}

// warnDeprecated tells a person at a terminal that they used an old flag
// spelling. Scripts, whose stderr is not a terminal, keep their output.
func (c *call) warnDeprecated() {
	for _, d := range c.deprecated {
		if c.fs.Changed(d[0]) && isTerminal(c.stderr) {
			fmt.Fprintf(c.stderr, "mint: --%s here is deprecated: %s\n", d[0], d[1])
		}
	}
}

// Run runs the mint command in args (without the program name) and returns
// its exit code; see the package documentation for the codes. env is
// os.Getenv or a stand-in for it.
func Run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	return Main(ctx, args, env, strings.NewReader(""), stdout, stderr, Extensions{})
}

// Main is Run with standard input and the mint binary's own commands.
func Main(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer, ext Extensions) int {
	inv := &invocation{
		getenv: env, stdin: stdin, stdout: stdout, stderr: stderr, ext: ext,
		// Every request of the CLI carries the caller's secret or token
		// (verify's carry none, but mint never redirects them either), so
		// none follows a redirect: see internal/redirect.
		http: &http.Client{Timeout: requestTimeout, CheckRedirect: redirect.Refuse},
	}
	root := inv.rootCommand()
	root.SetArgs(longFlags(root, args))
	return inv.report(root.ExecuteContext(ctx))
}

// rootCommand builds the whole command tree, afresh for each run: the
// flags of a command are bound to variables of that run.
func (inv *invocation) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "mint",
		Short:         "mint is an OAuth 2.0 client credentials token server for machines.",
		Version:       buildinfo.Read().String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          func(cmd *cobra.Command, args []string) error { return unknownCommand(cmd, firstOr(args, "")) },
		RunE: func(cmd *cobra.Command, args []string) error {
			return &usageError{msg: "no command given", usage: func(w io.Writer) {
				fmt.Fprint(w, "usage: mint <command> [arguments] [flags]\nRun 'mint help' for the list of commands.\n")
			}}
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SuggestionsMinimumDistance = 2
	// Before the completion command is made: it keeps the writer it finds.
	root.SetIn(inv.stdin)
	root.SetOut(inv.stdout)
	root.SetErr(inv.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { helpText(cmd)(inv.stdout) })
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "unknown flag: -"); ok {
			msg = "flag provided but not defined: " + name // Go's flag package's words
		}
		return usagef(cmd, "%s", msg)
	})
	root.AddGroup(
		&cobra.Group{ID: groupServer, Title: "Server:"},
		&cobra.Group{ID: groupAdmin, Title: "Administration, through the admin API:"},
		&cobra.Group{ID: groupTokens, Title: "Tokens:"},
		&cobra.Group{ID: groupSetup, Title: "Set-up:"},
	)
	for _, c := range append(inv.ext.Server, append(serverStubs(inv.ext), inv.importCommand())...) {
		c.GroupID = groupServer
		root.AddCommand(c)
	}
	for i := range groups {
		root.AddCommand(inv.adminGroup(&groups[i]))
	}
	for i := range tokenCommands {
		c := inv.leaf(&tokenCommands[i])
		c.GroupID = groupTokens
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{inv.loginCommand(), inv.logoutCommand(), inv.configCommand(), inv.versionCommand()} {
		c.GroupID = groupSetup
		root.AddCommand(c)
	}
	// apply, diff and export open the database, as serve does.
	for _, c := range inv.configCommands() {
		c.GroupID = groupServer
		root.AddCommand(c)
	}
	root.SetHelpCommand(inv.helpCommand(root))
	root.SetHelpCommandGroupID(groupSetup)
	root.SetCompletionCommandGroupID(groupSetup)
	root.InitDefaultCompletionCmd()
	completionHelp(root)
	return root
}

// unknownCommand is the short error for a command that does not exist,
// with cobra's "did you mean" suggestions, in place of the whole usage.
func unknownCommand(parent *cobra.Command, name string) error {
	if name == "" {
		return nil
	}
	if parent.SuggestionsMinimumDistance <= 0 {
		parent.SuggestionsMinimumDistance = 2
	}
	path := strings.TrimPrefix(parent.CommandPath()+" "+name, "mint ")
	msg := fmt.Sprintf("unknown command %q", path)
	if s := parent.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(quoteAll(s), " or ") + "?"
	}
	return &usageError{msg: msg, usage: func(w io.Writer) {
		fmt.Fprintf(w, "Run '%s --help' for the list of commands.\n", parent.CommandPath())
	}}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = "'" + v + "'"
	}
	return out
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// longFlags turns the single-dash long flags Go's flag package accepted
// (mint serve -db x, -json) into pflag's double-dash ones, for the flags
// the command named by args has; anything else is left to pflag, which
// reads -abc as shorthands.
func longFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && (name == "help" || name == "version" || cmd.Flags().Lookup(name) != nil) {
			out[i] = "-" + a
		}
	}
	return out
}

// report prints err as the exit code it maps to asks, and returns the code.
func (inv *invocation) report(err error) int {
	var (
		usage  *usageError
		remote *remoteError
		code   ExitCode
	)
	switch {
	case err == nil, errors.As(err, &code):
	case errors.As(err, &usage):
		fmt.Fprintf(inv.stderr, "mint: %s\n", usage.msg)
		if usage.usage != nil {
			usage.usage(inv.stderr)
		}
	case errors.As(err, &remote) && inv.json && remote.Body != nil:
		_ = writeJSON(inv.stdout, remote.Body)
		fmt.Fprintf(inv.stderr, "mint: %v\n", err)
	default:
		fmt.Fprintf(inv.stderr, "mint: %v\n", err)
	}
	if errors.As(err, &remote) && remote.Hint != "" {
		fmt.Fprintf(inv.stderr, "mint: %s\n", remote.Hint)
	}
	return exitCode(err)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// completionHelp words cobra's completion commands as mint's others are.
func completionHelp(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Short = "print the shell completion script for bash, zsh, fish or powershell (mint completion bash --help says how to load it)"
		for _, sh := range c.Commands() {
			sh.Short = "print the completion script for " + sh.Name() + "; it completes commands, flags, and client ids and audiences from the server"
		}
	}
}
