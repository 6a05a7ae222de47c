package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mintauth/mint/internal/apply"
	"github.com/mintauth/mint/internal/mint"
)

// `mint apply`, `mint diff` and `mint export`: configuration as code (see
// docs/config-as-code.md). They open the database itself, as `mint serve`
// does, rather than going through the admin API: whoever can open the
// database has every power already, and the admin API's delegated-admin
// rule (admin/privilege.go) still guards every change made through it.

// exitDrift is `mint diff`'s exit code when the store differs from the
// files, for CI.
const exitDrift = 2

// secretCommandTimeout bounds one run of --secret-command.
const secretCommandTimeout = 30 * time.Second

type applyFlags struct {
	files         []string
	db            string
	prune, dryRun bool
	secretsDir    string
	secretCommand string
}

func (inv *invocation) configCommands() []*cobra.Command {
	var af, df applyFlags
	applyCmd := &cobra.Command{
		Use:   "apply -f FILE|DIR [--prune] [--dry-run] [--secrets-dir DIR | --secret-command CMD] [--db DB]",
		Short: "make the database match a configuration file: show the plan, then apply it in one transaction",
		Long: "A new client's secret is shown once on stderr, or written or piped where the flags say;\n" +
			"a plan is refused, changing nothing, if the database changed since it was made.\n" +
			"apply opens the database itself, as serve does. See docs/config-as-code.md.",
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return inv.runApply(cmd.Context(), af) },
	}
	inv.configFlags(applyCmd, &af)
	fs := applyCmd.Flags()
	fs.BoolVar(&af.dryRun, "dry-run", false, "show the plan, change nothing")
	fs.StringVar(&af.secretsDir, "secrets-dir", "", "write each new client's secret to `DIR`/CLIENT_ID.secret (mode 0600) instead of stderr")
	fs.StringVar(&af.secretCommand, "secret-command", "", "run `CMD` (sh -c) for each new client, its secret on stdin and MINT_CLIENT_ID set, instead of printing it")
	diffCmd := &cobra.Command{
		Use:   "diff -f FILE|DIR [--prune] [--db DB]",
		Short: "show what apply would change; exit status 2 when the database differs from the files",
		Long: "For a CI drift check: exit status 0 when the database matches the files, 2 when it differs\n" +
			"(the plan is on stdout), 1 when a file or the database is at fault. See docs/config-as-code.md.",
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return inv.runDiff(cmd.Context(), df) },
	}
	inv.configFlags(diffCmd, &df)
	var db, out string
	exportCmd := &cobra.Command{
		Use:   "export [--db DB] [--out FILE]",
		Short: "write the APIs, clients and grants of the database as a configuration file (never secrets)",
		Args:  exactArgs(0),
		RunE:  func(cmd *cobra.Command, _ []string) error { return inv.runExport(cmd.Context(), db, out) },
	}
	exportCmd.Flags().StringVar(&db, "db", inv.getenv("MINT_DB"), "the database mint serves: SQLite file or postgres:// URL (env MINT_DB)")
	exportCmd.Flags().StringVarP(&out, "out", "o", "", "write to `FILE` instead of stdout")
	return []*cobra.Command{applyCmd, diffCmd, exportCmd}
}

func (inv *invocation) configFlags(cmd *cobra.Command, f *applyFlags) {
	fs := cmd.Flags()
	fs.StringArrayVarP(&f.files, "file", "f", nil, "a configuration `FILE`, or a directory of .yaml files; repeatable")
	fs.StringVar(&f.db, "db", inv.getenv("MINT_DB"), "the database mint serves: SQLite file or postgres:// URL (env MINT_DB)")
	fs.BoolVar(&f.prune, "prune", false, "also delete the APIs, clients and grants the files do not declare")
}

// openConfigStore opens the database a config command names. A SQLite file
// must exist: opening a wrong path would create an empty database.
func (inv *invocation) openConfigStore(ctx context.Context, name, db string) (mint.Store, error) {
	if inv.ext.OpenStore == nil {
		return nil, &usageError{msg: name + " is run by the mint binary, not through this package"}
	}
	if db == "" {
		return nil, &usageError{msg: name + ": --db (or MINT_DB) is required: the database mint serves"}
	}
	if isSQLitePath(db) {
		if _, err := os.Stat(strings.TrimPrefix(db, "sqlite:")); err != nil {
			return nil, fmt.Errorf("%s: %w: start mint serve on it once first, to create it", name, err)
		}
	}
	return inv.ext.OpenStore(ctx, db)
}

// isSQLitePath tells a SQLite file from a PostgreSQL URL or libpq
// keyword/value string (host=… dbname=…), which holds "=" where a file
// name seldom does; "sqlite:" names a file whatever follows.
func isSQLitePath(db string) bool {
	if strings.HasPrefix(db, "sqlite:") {
		return true
	}
	return !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") && !strings.Contains(db, "=")
}

// plan loads the files and plans them against the store; problems in the
// files are printed one a line and end the command with status 1.
func (inv *invocation) plan(ctx context.Context, name string, f applyFlags) (mint.Store, *apply.Plan, error) {
	if len(f.files) == 0 {
		return nil, nil, &usageError{msg: name + ": -f FILE is required"}
	}
	cfg, err := apply.Load(f.files...)
	if err != nil {
		return nil, nil, inv.problems(name, err)
	}
	store, err := inv.openConfigStore(ctx, name, f.db)
	if err != nil {
		return nil, nil, err
	}
	state, err := apply.ReadState(ctx, store)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	p, err := apply.MakePlan(cfg, state, f.prune)
	if err != nil {
		store.Close()
		return nil, nil, inv.problems(name, err)
	}
	return store, p, nil
}

// problems prints a file's problems, one a line, and says nothing changed.
func (inv *invocation) problems(name string, err error) error {
	var ps apply.Problems
	if !errors.As(err, &ps) {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range ps {
		fmt.Fprintf(inv.stderr, "mint: %s\n", p)
	}
	fmt.Fprintf(inv.stderr, "mint: %s: nothing changed\n", name)
	return ExitCode(exitRefused)
}

func (inv *invocation) runDiff(ctx context.Context, f applyFlags) error {
	store, p, err := inv.plan(ctx, "diff", f)
	if err != nil {
		return err
	}
	defer store.Close()
	p.Render(inv.stdout)
	if len(p.Steps) > 0 {
		return ExitCode(exitDrift)
	}
	return nil
}

func (inv *invocation) runApply(ctx context.Context, f applyFlags) error {
	if f.secretsDir != "" && f.secretCommand != "" {
		return &usageError{msg: "apply: give --secrets-dir or --secret-command, not both"}
	}
	if f.secretsDir != "" {
		if err := checkSecretsDir(f.secretsDir); err != nil {
			return err
		}
	}
	store, p, err := inv.plan(ctx, "apply", f)
	if err != nil {
		return err
	}
	defer store.Close()
	p.Render(inv.stdout)
	if len(p.Steps) == 0 || f.dryRun {
		if f.dryRun && len(p.Steps) > 0 {
			fmt.Fprintln(inv.stdout, "Nothing applied (--dry-run).")
		}
		return nil
	}
	applier, ok := store.(mint.Applier)
	if !ok {
		return fmt.Errorf("apply: the %T store cannot apply a plan", store)
	}
	var written []string
	opts := apply.Options{Actor: "cli:apply", Source: "local:" + inv.getenv("USER")}
	switch {
	case f.secretsDir != "":
		opts.Deliver = func(s []apply.NewSecret) error { return writeSecrets(f.secretsDir, s, &written) }
	case f.secretCommand != "":
		opts.Deliver = func(s []apply.NewSecret) error { return inv.pipeSecrets(ctx, f.secretCommand, s) }
	}
	secrets, err := apply.Apply(ctx, applier, p, opts)
	if err != nil {
		for _, name := range written {
			os.Remove(name)
		}
		if f.secretCommand != "" && len(secrets) > 0 {
			fmt.Fprintln(inv.stderr, "mint: apply: the secrets handed to --secret-command belong to clients that were not created")
		}
		if errors.Is(err, mint.ErrStateChanged) {
			return fmt.Errorf("apply: the database changed since the plan was made (another admin or apply): nothing applied; plan again")
		}
		return fmt.Errorf("apply: nothing applied: %w", err)
	}
	c, u, d := p.Counts()
	fmt.Fprintf(inv.stdout, "Applied: %d created, %d updated, %d deleted.\n", c, u, d)
	inv.reportSecrets(f, secrets)
	return nil
}

// reportSecrets prints the new secrets on stderr, once, when no other
// place was named for them, and where they went otherwise.
func (inv *invocation) reportSecrets(f applyFlags, secrets []apply.NewSecret) {
	for _, s := range secrets {
		switch {
		case f.secretsDir != "":
			fmt.Fprintf(inv.stderr, "mint: client %s: secret written to %s\n", s.ClientID, secretFile(f.secretsDir, s.ClientID))
		case f.secretCommand != "":
			fmt.Fprintf(inv.stderr, "mint: client %s: secret handed to --secret-command\n", s.ClientID)
		default:
			fmt.Fprintf(inv.stderr, "client_id=%s client_secret=%s (shown once)\n", s.ClientID, s.Secret)
		}
	}
}

// checkSecretsDir refuses a directory others may read or enter.
func checkSecretsDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("apply: --secrets-dir: %v", err)}
	}
	if !info.IsDir() {
		return &usageError{msg: "apply: --secrets-dir: " + dir + " is not a directory"}
	}
	if info.Mode().Perm()&0o077 != 0 {
		return &usageError{msg: fmt.Sprintf("apply: --secrets-dir: %s has mode %04o: make it private (chmod 700)", dir, info.Mode().Perm())}
	}
	return nil
}

func secretFile(dir, clientID string) string { return filepath.Join(dir, clientID+".secret") }

// writeSecrets writes each secret to a new file, mode 0600, refusing to
// overwrite a file or follow a link (O_EXCL); it records what it wrote so that a failed
// apply can take the files back.
func writeSecrets(dir string, secrets []apply.NewSecret, written *[]string) error {
	for _, s := range secrets {
		name := secretFile(dir, s.ClientID)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("client %s: %w", s.ClientID, err)
		}
		*written = append(*written, name)
		_, err = io.WriteString(f, s.Secret+"\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("client %s: %w", s.ClientID, err)
		}
	}
	return nil
}

// pipeSecrets runs the operator's command once per secret: the secret on
// its stdin (never in its arguments or environment, which other users may
// read in /proc), the client ID in MINT_CLIENT_ID. Its output goes to
// stderr.
func (inv *invocation) pipeSecrets(ctx context.Context, command string, secrets []apply.NewSecret) error {
	for _, s := range secrets {
		cctx, cancel := context.WithTimeout(ctx, secretCommandTimeout)
		cmd := exec.CommandContext(cctx, "/bin/sh", "-c", command)
		cmd.Env = append(os.Environ(), "MINT_CLIENT_ID="+s.ClientID)
		cmd.Stdin = strings.NewReader(s.Secret)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		inv.stderr.Write(out.Bytes())
		if err != nil {
			return fmt.Errorf("--secret-command for client %s: %w", s.ClientID, err)
		}
	}
	return nil
}

func (inv *invocation) runExport(ctx context.Context, db, out string) error {
	store, err := inv.openConfigStore(ctx, "export", db)
	if err != nil {
		return err
	}
	defer store.Close()
	state, err := apply.ReadState(ctx, store)
	if err != nil {
		return err
	}
	data, err := apply.Export(state)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = inv.stdout.Write(data)
		return err
	}
	return os.WriteFile(out, data, 0o644)
}
