package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/spf13/cobra"

	"github.com/mintauth/mint/internal/cli"
	mintserver "github.com/mintauth/mint/internal/server"
)

// commandRun runs a server command once its flags are parsed, with the
// number of positional arguments left, and returns its exit code.
type commandRun func(ctx context.Context, nargs int) int

// parseAndRun parses args with Go's flag package and runs the command: the
// way this package's tests call serve, bench and backup.
func parseAndRun(ctx context.Context, args []string, stderr io.Writer, fs *flag.FlagSet, run commandRun) int {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return run(ctx, fs.NArg())
}

// serverCommand is the cobra command called name of package cli's CLI: its
// flags are those fs defines, parsed by cobra (so help lists them as
// --name, like every other command's), then run runs it. prepare runs
// first, for what only a long-running server needs.
func serverCommand(name string, fs *flag.FlagSet, run commandRun, prepare func(context.Context)) *cobra.Command {
	cmd := cli.ServerCommand(name)
	cmd.Flags().AddGoFlagSet(fs)
	cmd.ValidArgsFunction = cobra.NoFileCompletions
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if prepare != nil {
			prepare(cmd.Context())
		}
		if code := run(cmd.Context(), len(args)); code != 0 {
			return cli.ExitCode(code)
		}
		return nil
	}
	return cmd
}

// extensions are the commands of this binary that package cli does not
// run itself.
func extensions(getenv func(string) string, stdout, stderr io.Writer) cli.Extensions {
	server := func(ctx context.Context) {
		if tuneGC(getenv) {
			go followLiveHeap(ctx)
		}
		go releaseWhenIdle(ctx)
	}
	serveFS, serveRun := serveCommand(getenv, stderr)
	gatewayFS, gatewayRun := gatewayCommand(getenv, stderr)
	benchFS, benchRun := benchCommand(getenv, stdout, stderr)
	backupFS, backupRun := backupCommand(stdout, stderr)
	serve := serverCommand("serve", serveFS, serveRun, server)
	serve.Args = cli.NoArgs
	gateway := serverCommand("gateway", gatewayFS, gatewayRun, server)
	gateway.Args = cli.NoArgs
	return cli.Extensions{
		Server: []*cobra.Command{serve, gateway,
			hidden(serverCommand("bench", benchFS, benchRun, nil), "serve-references"),
			serverCommand("backup", backupFS, backupRun, nil)},
		VerifyAuditDB: func(ctx context.Context, db string, asJSON bool) error {
			args := []string{"--db", db}
			if asJSON {
				args = append(args, "--json")
			}
			if code := auditVerifyOffline(ctx, args, stdout, stderr); code != 0 {
				return cli.ExitCode(code)
			}
			return nil
		},
		OpenStore: mintserver.OpenStore,
	}
}

// hidden hides flags that are not for people from cmd's help.
func hidden(cmd *cobra.Command, flags ...string) *cobra.Command {
	for _, f := range flags {
		_ = cmd.Flags().MarkHidden(f)
	}
	return cmd
}
