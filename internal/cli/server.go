package cli

import (
	"github.com/spf13/cobra"
)

// serverCommands are the commands the mint binary runs itself (package
// cmd/mint): their names and summaries live here so that help lists them
// the same from either side.
var serverCommands = []struct{ use, summary string }{
	{"serve", "run the token server and its admin API"},
	{"gateway", "run a reverse proxy that passes on only requests bearing a valid mint token"},
	{"bench", "measure the token endpoint's throughput and latency, against baselines"},
	{"backup --db PATH --out FILE", "copy a SQLite database and its master key consistently, while mint serves it"},
}

// ServerCommand is the cobra command called name, with its usage and
// summary, for the mint binary to give flags and a RunE.
func ServerCommand(name string) *cobra.Command {
	for _, s := range serverCommands {
		if cmd := (&cobra.Command{Use: s.use}); cmd.Name() == name {
			cmd.Short = s.summary
			return cmd
		}
	}
	return &cobra.Command{Use: name}
}

// serverStubs are the server commands ext lacks (package cli's own Run has
// none): listed in help, a usage error when run.
func serverStubs(ext Extensions) []*cobra.Command {
	have := map[string]bool{}
	for _, c := range ext.Server {
		have[c.Name()] = true
	}
	var out []*cobra.Command
	for _, s := range serverCommands {
		cmd := ServerCommand((&cobra.Command{Use: s.use}).Name())
		if have[cmd.Name()] {
			continue
		}
		cmd.DisableFlagParsing = true
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: cmd.Name() + " is run by the mint binary, not through package cli"}
		}
		out = append(out, cmd)
	}
	return out
}
