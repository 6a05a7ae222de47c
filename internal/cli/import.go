package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/oauth"
)

// `mint import clients` creates clients in bulk, straight in the database
// (see docs/scale.md for why not through the admin API): one JSON object a
// line, each a client with the ID and secret it had elsewhere, and its
// grants.

// Bounds of an import.
const (
	defaultImportBatch = 5000
	maxImportBatch     = 100_000
	// maxImportLine is the admin API's bound on a request body.
	maxImportLine = 1 << 20
)

// importLine is one line of the input.
type importLine struct {
	ClientID string        `json:"client_id"`
	Name     string        `json:"name"`
	Secret   string        `json:"secret"`
	Grants   []importGrant `json:"grants"`
	// Metadata are the client's string key/values (docs/policies.md);
	// absent: none.
	Metadata map[string]string `json:"metadata,omitempty"`
}

type importGrant struct {
	Audience string   `json:"audience"`
	Scopes   []string `json:"scopes"`
}

// Validate applies the admin API's rules, and the import's own to the ID
// and secret that the admin API would have made itself.
func (l *importLine) Validate() error {
	if err := mint.CheckImportedID(l.ClientID); err != nil {
		return oauth.ErrInvalidRequest.Describe("%v", err).WithField("client_id")
	}
	if err := admin.ValidName(l.Name); err != nil {
		return err
	}
	if err := mint.CheckImportedSecret(l.Secret); err != nil {
		return oauth.ErrInvalidRequest.Describe("%v", err).WithField("secret")
	}
	if err := admin.CheckMetadata(l.Metadata); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, g := range l.Grants {
		if err := admin.ValidAudience(g.Audience); err != nil {
			return err
		}
		if err := admin.CheckScopes(g.Scopes); err != nil {
			return err
		}
		if seen[g.Audience] {
			return oauth.ErrInvalidRequest.Describe("two grants for the audience %q", g.Audience).WithField("grants")
		}
		seen[g.Audience] = true
	}
	return nil
}

// parseImportLine decodes and checks one line. Its errors say what is
// wrong and never quote the secret.
func parseImportLine(line []byte, apis map[string]mint.API) (importLine, error) {
	var l importLine
	if err := admin.DecodeStrict(line, &l); err != nil {
		return importLine{}, describe(err)
	}
	for _, g := range l.Grants {
		api, ok := apis[g.Audience]
		if !ok {
			return importLine{}, fmt.Errorf("no API has the audience %q", g.Audience)
		}
		if err := admin.AllowedScopes(api, g.Scopes); err != nil {
			return importLine{}, describe(err)
		}
	}
	return l, nil
}

// describe turns an admin check's *oauth.Error into its description alone.
func describe(err error) error {
	var e *oauth.Error
	if errors.As(err, &e) && e.Description != "" {
		return errors.New(e.Description)
	}
	return err
}

// importFlags are the flags of `mint import clients`.
type importFlags struct {
	db          string
	batch, skip int
	dryRun      bool
}

// importCommand is `mint import`: `clients` and `auth0`.
func (inv *invocation) importCommand() *cobra.Command {
	parent := &cobra.Command{Use: "import", Short: "create many clients at once, straight in the database",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: "import: no subcommand given", usage: helpText(cmd)}
			}
			return unknownCommand(cmd, args[0])
		}}
	var f importFlags
	cc := &cobra.Command{
		Use:   "clients --db PATH [--batch N] [--skip N] [--dry-run] FILE",
		Short: "create the clients of a JSON Lines file (client_id, name, secret, grants), keeping their ids and secrets",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inv.importClients(cmd.Context(), f, args[0])
		},
	}
	fs := cc.Flags()
	fs.StringVar(&f.db, "db", inv.getenv("MINT_DB"), "the database mint serves: SQLite file or postgres:// URL (env MINT_DB)")
	fs.IntVar(&f.batch, "batch", defaultImportBatch, "clients per transaction (and per audit record)")
	fs.IntVar(&f.skip, "skip", 0, "skip the first `N` lines: those a failed run reported imported")
	fs.BoolVar(&f.dryRun, "dry-run", false, "check every line, write nothing")
	parent.AddCommand(cc, inv.importAuth0Command())
	return parent
}

// checkImportDB refuses no database, and a SQLite file that does not
// exist: opening it would create an empty database beside the one mint
// serves, and import into it.
func checkImportDB(command, db string) error {
	if db == "" {
		return &usageError{msg: command + ": --db (or MINT_DB) is required: the database mint serves"}
	}
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return nil
	}
	path := strings.TrimPrefix(db, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w: start mint serve on it once first, to create it and its APIs", command, err)
	}
	return nil
}

func (inv *invocation) importClients(ctx context.Context, f importFlags, path string) error {
	switch {
	case f.batch < 1 || f.batch > maxImportBatch:
		return &usageError{msg: fmt.Sprintf("import clients: --batch must be 1 to %d", maxImportBatch)}
	case f.skip < 0:
		return &usageError{msg: "import clients: --skip must not be negative"}
	case inv.ext.OpenStore == nil:
		return &usageError{msg: "import clients is run by the mint binary, not through this package"}
	}
	if err := checkImportDB("import clients", f.db); err != nil {
		return err
	}
	store, err := inv.ext.OpenStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer store.Close()
	imp, ok := store.(mint.Importer)
	if !ok {
		return fmt.Errorf("import clients: the %T store cannot import", store)
	}
	apis, err := apisByAudience(ctx, store)
	if err != nil {
		return err
	}
	run := &importRun{imp: imp, apis: apis, batchSize: f.batch, skip: f.skip,
		actor: "cli:import", source: "local:" + inv.getenv("USER"), file: filepath.Base(path)}
	// Every line is checked before any is written, so that a mistake on
	// line 900,000 does not leave 899,999 clients behind.
	checked, err := run.each(path, func(int, importLine) error { return nil })
	if err != nil {
		return fmt.Errorf("%w; nothing was written", err)
	}
	if f.dryRun {
		fmt.Fprintf(inv.stdout, "%s: %d clients to import, every line valid; nothing written (--dry-run)\n", path, checked)
		return nil
	}
	start := time.Now()
	if _, err := run.each(path, func(n int, l importLine) error { return run.add(ctx, n, l) }); err != nil {
		return run.stopped(err)
	}
	if err := run.flush(ctx); err != nil {
		return run.stopped(err)
	}
	d := time.Since(start)
	fmt.Fprintf(inv.stdout, "imported %d clients and %d grants in %d batches, in %s (%.0f clients/s)\n",
		run.clients, run.grants, run.batches, d.Round(time.Millisecond), float64(run.clients)/d.Seconds())
	return nil
}

func apisByAudience(ctx context.Context, store mint.Store) (map[string]mint.API, error) {
	list, err := store.ListAPIs(ctx)
	if err != nil {
		return nil, err
	}
	apis := make(map[string]mint.API, len(list))
	for _, a := range list {
		apis[a.Audience] = a
	}
	return apis, nil
}

// importRun is one import: the batch being gathered and what is done.
type importRun struct {
	imp                 mint.Importer
	apis                map[string]mint.API
	batchSize, skip     int
	actor, source, file string
	pending             []mint.ImportedClient
	firstLine, lastLine int // of pending
	committedLine       int // the last line of the last batch committed
	clients, grants     int
	batches             int
}

// each calls fn with every line of the file after the skipped ones, and
// returns how many it passed. Blank lines are skipped.
func (r *importRun) each(path string, fn func(n int, l importLine) error) (int, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	n, count := 0, 0
	for sc.Scan() {
		n++
		if n <= r.skip || len(sc.Bytes()) == 0 {
			continue
		}
		l, err := parseImportLine(sc.Bytes(), r.apis)
		if err != nil {
			return count, fmt.Errorf("%s line %d: %v", path, n, err)
		}
		if err := fn(n, l); err != nil {
			return count, err
		}
		count++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes", maxImportLine)
		}
		return count, fmt.Errorf("%s after line %d: %w", path, n, err)
	}
	return count, nil
}

// add turns line n into a client and writes the batch once it is full.
func (r *importRun) add(ctx context.Context, n int, l importLine) error {
	now := time.Now().UTC()
	ic := mint.ImportedClient{
		Client: mint.Client{ID: l.ClientID, Name: l.Name, Metadata: l.Metadata, CreatedAt: now, UpdatedAt: now},
		Secret: mint.Secret{ID: mint.NewID("sec"), ClientID: l.ClientID, Digest: secret.Digest(l.Secret), CreatedAt: now},
	}
	for _, g := range l.Grants {
		ic.Grants = append(ic.Grants, mint.Grant{ID: mint.NewID("grant"), ClientID: l.ClientID,
			Audience: g.Audience, Scopes: nonNilScopes(g.Scopes), CreatedAt: now, UpdatedAt: now})
	}
	if len(r.pending) == 0 {
		r.firstLine = n
	}
	r.pending, r.lastLine = append(r.pending, ic), n
	if len(r.pending) < r.batchSize {
		return nil
	}
	return r.flush(ctx)
}

func nonNilScopes(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// flush writes the pending batch in one transaction, with its audit record.
func (r *importRun) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	record := importRecord(r.pending, r.actor, r.source, r.file, r.firstLine, r.lastLine)
	err := r.imp.ImportClients(mint.WithAudit(ctx, func() mint.AuditRecord { return record }), r.pending)
	if err != nil {
		return fmt.Errorf("lines %d to %d were not imported (%w)", r.firstLine, r.lastLine, err)
	}
	r.committedLine = r.lastLine
	r.batches++
	r.clients += len(r.pending)
	for _, ic := range r.pending {
		r.grants += len(ic.Grants)
	}
	r.pending = r.pending[:0]
	return nil
}

// stopped adds to err, which stopped the writing, what is imported and
// how to resume.
func (r *importRun) stopped(err error) error {
	if r.committedLine == 0 {
		return fmt.Errorf("%w; this run imported no line", err)
	}
	return fmt.Errorf("%w; lines up to %d are imported: fix the file and run again with --skip %d",
		err, r.committedLine, r.committedLine)
}

// The clients of one batch, as its audit record lists them: ids, never
// secrets.
type importAudit struct {
	File      string   `json:"file"`
	Lines     [2]int   `json:"lines"`
	Count     int      `json:"count"`
	ClientIDs []string `json:"client_ids"`
	Grants    int      `json:"grants"`
}

func importRecord(batch []mint.ImportedClient, actor, source, file string, first, last int) mint.AuditRecord {
	a := importAudit{File: file, Lines: [2]int{first, last}, Count: len(batch), ClientIDs: make([]string, len(batch))}
	for i, ic := range batch {
		a.ClientIDs[i] = ic.Client.ID
		a.Grants += len(ic.Grants)
	}
	details, err := json.Marshal(a)
	if err != nil {
		details = []byte(`{}`)
	}
	return mint.AuditRecord{Time: time.Now().UTC(), Kind: "admin.clients.import", Actor: actor,
		Subject: batch[0].Client.ID, Source: source, Details: details}
}
