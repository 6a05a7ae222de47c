package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mintauth/mint/internal/redirect"
)

// requestTimeout bounds each HTTP request the CLI makes.
const requestTimeout = 30 * time.Second

// invocation is one run of the CLI: its environment and outputs.
type invocation struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	http           *http.Client
	// json is set once a command has parsed --json.
	json bool
}

// call is one command being run: its flag set, common options and the
// arguments after the command's name.
type call struct {
	*invocation
	fs   *flag.FlagSet
	opts options
	args []string
}

// parse parses the call's arguments, which must hold exactly want
// positional ones, and resolves the common options.
func (c *call) parse(want int) ([]string, error) {
	pos, err := parseArgs(c.fs, c.args, want)
	if err != nil {
		return nil, err
	}
	c.invocation.json = c.opts.json
	return pos, c.opts.resolve(c.getenv)
}

// admin returns a client of the admin API, authenticated with the caller's
// credentials.
func (c *call) admin(ctx context.Context) (*adminAPI, error) {
	if err := c.opts.needCredentials(); err != nil {
		return nil, err
	}
	return connectAdmin(ctx, c.http, &c.opts)
}

// Run runs the mint command in args (without the program name) and returns
// its exit code; see the package documentation for the codes. env is
// os.Getenv or a stand-in for it.
func Run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	inv := &invocation{
		getenv: env, stdout: stdout, stderr: stderr,
		// Every request of the CLI carries the caller's secret or token
		// (verify's carry none, but mint never redirects them either), so
		// none follows a redirect: see internal/redirect.
		http: &http.Client{Timeout: requestTimeout, CheckRedirect: redirect.Refuse},
	}
	return inv.report(inv.dispatch(ctx, args))
}

// dispatch finds the command named by args and runs it.
func (inv *invocation) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "no command given", usage: mainUsage}
	}
	if isHelp(args[0]) {
		return inv.help(args[1:])
	}
	g := findGroup(args[0])
	if g == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: mainUsage}
	}
	if len(g.commands) == 1 && g.commands[0].name == "" {
		return inv.runCommand(ctx, g, &g.commands[0], args[1:])
	}
	if len(args) < 2 {
		return &usageError{msg: fmt.Sprintf("%s: no subcommand given", g.name), usage: g.usage}
	}
	if isHelp(args[1]) {
		return inv.printUsage(g.usage)
	}
	cmd := g.find(args[1])
	if cmd == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", g.name+" "+args[1]), usage: g.usage}
	}
	return inv.runCommand(ctx, g, cmd, args[2:])
}

func (inv *invocation) runCommand(ctx context.Context, g *group, cmd *command, args []string) error {
	c := &call{invocation: inv, args: args, fs: newFlagSet(cmd.path(g), cmd.synopsis(g))}
	c.opts.register(c.fs, !g.clientIDFlag)
	err := cmd.run(ctx, c)
	if errors.Is(err, errHelp) {
		return inv.printUsage(flagUsage(c.fs))
	}
	return err
}

// help prints the usage of the whole CLI, or of the command group named.
func (inv *invocation) help(args []string) error {
	if len(args) > 0 {
		if g := findGroup(args[0]); g != nil {
			return inv.printUsage(g.usage)
		}
	}
	return inv.printUsage(mainUsage)
}

func (inv *invocation) printUsage(usage func(io.Writer)) error {
	usage(inv.stdout)
	return nil
}

// report prints err as the exit code it maps to asks, and returns the code.
func (inv *invocation) report(err error) int {
	var (
		usage  *usageError
		remote *remoteError
	)
	switch {
	case err == nil:
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

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}
