package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/auth0"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
)

// `mint import auth0` moves an Auth0 tenant's machine-to-machine setup to
// mint with the same audiences, client IDs and secrets (docs/migrate-from-auth0.md).
// It reads the tenant (package auth0), creates the missing APIs, then the
// missing clients through the bulk path of `mint import clients`
// (importLine's checks, importRun's batches). What exists already is left
// alone: skipped when identical, reported when it differs.

// auth0TokenEnv holds the Management API token: an environment variable,
// not a flag, so that it does not show in ps.
const auth0TokenEnv = "AUTH0_MGMT_TOKEN"

type auth0Flags struct {
	db, domain, newSecrets string
	dryRun                 bool
}

func (inv *invocation) importAuth0Command() *cobra.Command {
	var f auth0Flags
	cc := &cobra.Command{
		Use:   "auth0 --db PATH (--domain TENANT | EXPORT) [--new-secrets FILE] [--dry-run]",
		Short: "move an Auth0 tenant's APIs, machine-to-machine applications and grants, keeping ids and secrets",
		Long: "Reads an Auth0 Deploy CLI export (tenant.yaml or a directory export) or, with --domain, the\n" +
			"Management API with the token in " + auth0TokenEnv + ", and creates the APIs, clients (same\n" +
			"client_id and client_secret) and grants in mint. See docs/migrate-from-auth0.md.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inv.importAuth0(cmd.Context(), f, args)
		},
	}
	fs := cc.Flags()
	fs.StringVar(&f.db, "db", inv.getenv("MINT_DB"), "the database mint serves: SQLite file or postgres:// URL (env MINT_DB)")
	fs.StringVar(&f.domain, "domain", "", "read the tenant from its Management API: `TENANT`.auth0.com (token in env "+auth0TokenEnv+")")
	fs.StringVar(&f.newSecrets, "new-secrets", "", "give clients without a secret a new one, written to `FILE` (mode 0600); their partners must change")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan, write nothing")
	return cc
}

func (inv *invocation) importAuth0(ctx context.Context, f auth0Flags, args []string) error {
	if (f.domain == "") == (len(args) == 0) {
		return &usageError{msg: "import auth0: give either --domain TENANT or the path of a Deploy CLI export"}
	}
	if inv.ext.OpenStore == nil {
		return &usageError{msg: "import auth0 is run by the mint binary, not through this package"}
	}
	if err := checkImportDB("import auth0", f.db); err != nil {
		return err
	}
	tenant, source, mgmtAudience, err := inv.readAuth0(ctx, f, args)
	if err != nil {
		return fmt.Errorf("import auth0: %w", err)
	}
	plan := auth0.MakePlan(tenant, mgmtAudience)
	store, err := inv.ext.OpenStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer store.Close()
	imp, ok := store.(mint.Importer)
	if !ok {
		return fmt.Errorf("import auth0: the %T store cannot import", store)
	}
	w, err := compareWithStore(ctx, store, plan)
	if err != nil {
		return fmt.Errorf("import auth0: %w", err)
	}
	if err := w.check(); err != nil {
		return fmt.Errorf("import auth0: %w; nothing was written", err)
	}
	w.print(inv.stdout, source)
	missing := w.missingSecrets()
	if len(missing) > 0 && f.newSecrets == "" {
		err := fmt.Errorf("%d clients have no secret in %s (%s): read the tenant with --domain and a token "+
			"with read:client_keys to keep their secrets, or give --new-secrets FILE to have mint make new ones "+
			"(their partners must then change)", len(missing), source, strings.Join(missing, ", "))
		if !f.dryRun {
			return fmt.Errorf("import auth0: %w; nothing was written", err)
		}
		fmt.Fprintf(inv.stdout, "note: %v\n", err)
	}
	if f.dryRun {
		fmt.Fprintln(inv.stdout, "nothing written (--dry-run)")
		return nil
	}
	if err := w.newSecrets(f.newSecrets, inv.stderr); err != nil {
		return fmt.Errorf("import auth0: %w; nothing was written", err)
	}
	return inv.writeAuth0(ctx, store, imp, w, source)
}

// readAuth0 reads the tenant, and says what it read it from.
func (inv *invocation) readAuth0(ctx context.Context, f auth0Flags, args []string) (t auth0.Tenant, source, mgmtAudience string, err error) {
	if f.domain == "" {
		t, err = auth0.ReadExport(args[0])
		return t, args[0], "", err
	}
	base, err := auth0.ManagementURL(f.domain)
	if err != nil {
		return t, "", "", err
	}
	token := strings.TrimSpace(inv.getenv(auth0TokenEnv))
	if token == "" {
		return t, "", "", fmt.Errorf("--domain needs a Management API token in the environment variable %s", auth0TokenEnv)
	}
	m := &auth0.Management{BaseURL: base, Token: token}
	t, err = m.Tenant(ctx)
	return t, base, auth0.ManagementAudience(base), err
}

// auth0Work is the plan measured against what mint already holds.
type auth0Work struct {
	plan       auth0.Plan
	apis       map[string]mint.API // every API mint will have, by audience
	newAPIs    []auth0.PlannedAPI
	newClients []auth0.PlannedClient
	same       []string // identical in mint already
	differ     []string // in mint already, different: not overwritten
}

func compareWithStore(ctx context.Context, store mint.Store, plan auth0.Plan) (*auth0Work, error) {
	apis, err := apisByAudience(ctx, store)
	if err != nil {
		return nil, err
	}
	w := &auth0Work{plan: plan, apis: apis}
	for _, a := range plan.APIs {
		have, ok := apis[a.Audience]
		switch {
		case !ok:
			w.newAPIs = append(w.newAPIs, a)
			now := time.Now().UTC()
			apis[a.Audience] = mint.API{ID: mint.NewID("api"), Name: a.Name, Audience: a.Audience, Scopes: a.Scopes,
				TokenLifetime: time.Duration(a.TokenLifetime) * time.Second, SigningAlg: a.SigningAlg, CreatedAt: now, UpdatedAt: now}
		case apiDiffers(have, a) != "":
			w.differ = append(w.differ, fmt.Sprintf("API %s: %s", a.Audience, apiDiffers(have, a)))
		default:
			w.same = append(w.same, "API "+a.Audience)
		}
	}
	for _, c := range plan.Clients {
		why, err := clientDiffers(ctx, store, c)
		switch {
		case errors.Is(err, mint.ErrNotFound):
			w.newClients = append(w.newClients, c)
		case err != nil:
			return nil, err
		case why != "":
			w.differ = append(w.differ, fmt.Sprintf("client %s: %s", c.ClientID, why))
		default:
			w.same = append(w.same, "client "+c.ClientID)
		}
	}
	return w, nil
}

func apiDiffers(have mint.API, want auth0.PlannedAPI) string {
	var d []string
	if !sameStrings(have.Scopes, want.Scopes) {
		d = append(d, "scopes")
	}
	if have.TokenLifetime != time.Duration(want.TokenLifetime)*time.Second {
		d = append(d, "token lifetime")
	}
	if have.Alg() != want.SigningAlg {
		d = append(d, "signing algorithm")
	}
	return differText(d)
}

// clientDiffers compares a client with mint's of the same ID: name,
// grants and, when the plan has it, secret. ErrNotFound: mint has none.
func clientDiffers(ctx context.Context, store mint.Store, c auth0.PlannedClient) (string, error) {
	have, err := store.GetClient(ctx, c.ClientID)
	if err != nil {
		return "", err
	}
	var d []string
	if have.Name != c.Name {
		d = append(d, "name")
	}
	if !maps.Equal(have.Metadata, c.Metadata) {
		d = append(d, "metadata")
	}
	grants, err := store.ListGrants(ctx, c.ClientID)
	if err != nil {
		return "", err
	}
	if !sameGrants(grants, c.Grants) {
		d = append(d, "grants")
	}
	if !c.SecretMissing {
		secrets, err := store.ListSecrets(ctx, c.ClientID)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(secrets, func(s mint.Secret) bool { return secret.Match(c.Secret, s.Digest) }) {
			d = append(d, "secret")
		}
	}
	return differText(d), nil
}

func differText(d []string) string {
	if len(d) == 0 {
		return ""
	}
	return strings.Join(d, ", ") + " differ; not overwritten"
}

func sameGrants(have []mint.Grant, want []auth0.PlannedGrant) bool {
	if len(have) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(have, func(g mint.Grant) bool { return g.Audience == w.Audience && sameStrings(g.Scopes, w.Scopes) }) {
			return false
		}
	}
	return true
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// check applies the admin API's rules to every API and client to create,
// before anything is written.
func (w *auth0Work) check() error {
	for _, a := range w.newAPIs {
		if err := admin.CheckNewAPI(a.Name, a.Audience, a.Scopes, a.TokenLifetime, a.SigningAlg); err != nil {
			return fmt.Errorf("API %s: %v", a.Audience, describe(err))
		}
	}
	for _, c := range w.newClients {
		l := auth0Line(c, "")
		if c.SecretMissing { // checked once made
			l.Secret = strings.Repeat("x", mint.MinImportedSecretBytes)
		}
		if err := l.Validate(); err != nil {
			return fmt.Errorf("client %s: %v", c.ClientID, describe(err))
		}
		for _, g := range l.Grants {
			if err := admin.AllowedScopes(w.apis[g.Audience], g.Scopes); err != nil {
				return fmt.Errorf("client %s: %v", c.ClientID, describe(err))
			}
		}
	}
	return nil
}

// auth0Line is c as a line of `mint import clients`.
func auth0Line(c auth0.PlannedClient, plain string) importLine {
	if plain == "" {
		plain = c.Secret
	}
	l := importLine{ClientID: c.ClientID, Name: c.Name, Secret: plain, Metadata: c.Metadata}
	for _, g := range c.Grants {
		l.Grants = append(l.Grants, importGrant{Audience: g.Audience, Scopes: g.Scopes})
	}
	return l
}

func (w *auth0Work) missingSecrets() []string {
	var ids []string
	for _, c := range w.newClients {
		if c.SecretMissing {
			ids = append(ids, c.ClientID)
		}
	}
	return ids
}

// print writes the plan: what is created, left alone and skipped.
func (w *auth0Work) print(out io.Writer, source string) {
	fmt.Fprintf(out, "from %s:\n", source)
	for _, a := range w.newAPIs {
		fmt.Fprintf(out, "  create API %s (%s): scopes [%s], token lifetime %ds, %s\n",
			a.Audience, a.Name, strings.Join(a.Scopes, " "), a.TokenLifetime, a.SigningAlg)
	}
	for _, c := range w.newClients {
		secretNote := "same secret"
		if c.SecretMissing {
			secretNote = "NO SECRET in the source"
		}
		fmt.Fprintf(out, "  create client %s (%s), %s, %d grants\n", c.ClientID, c.Name, secretNote, len(c.Grants))
		for _, k := range slices.Sorted(maps.Keys(c.Metadata)) {
			fmt.Fprintf(out, "    metadata %s\n", k)
		}
		for _, g := range c.Grants {
			fmt.Fprintf(out, "    grant %s [%s]\n", g.Audience, strings.Join(g.Scopes, " "))
		}
	}
	for _, s := range w.same {
		fmt.Fprintf(out, "  exists, identical: %s\n", s)
	}
	for _, s := range w.differ {
		fmt.Fprintf(out, "  exists, DIFFERENT: %s\n", s)
	}
	for _, s := range w.plan.Skipped {
		fmt.Fprintf(out, "  skipped %s\n", s)
	}
}

// newSecrets gives every new client without a secret a new one, and
// writes them to path (created, mode 0600) before anything is imported.
func (w *auth0Work) newSecrets(path string, stderr io.Writer) error {
	if len(w.missingSecrets()) == 0 {
		return nil
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("--new-secrets: %w", err)
	}
	enc := json.NewEncoder(file)
	for i, c := range w.newClients {
		if !c.SecretMissing {
			continue
		}
		plain, _ := secret.New()
		w.newClients[i].Secret = plain
		if err := enc.Encode(map[string]string{"client_id": c.ClientID, "name": c.Name, "client_secret": plain}); err != nil {
			file.Close()
			return fmt.Errorf("--new-secrets: %w", err)
		}
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("--new-secrets: %w", err)
	}
	fmt.Fprintf(stderr, "WARNING: %d clients get NEW secrets, written to %s: their partners must change their "+
		"client_secret before they can take tokens from mint. Hand the secrets over safely, then delete the file.\n",
		len(w.missingSecrets()), path)
	return nil
}

// writeAuth0 creates the new APIs, then the new clients in batches.
func (inv *invocation) writeAuth0(ctx context.Context, store mint.Store, imp mint.Importer, w *auth0Work, source string) error {
	who := "local:" + inv.getenv("USER")
	for _, a := range w.newAPIs {
		api := w.apis[a.Audience]
		record := func() mint.AuditRecord {
			details, _ := json.Marshal(map[string]string{"audience": api.Audience, "from": source})
			return mint.AuditRecord{Time: time.Now().UTC(), Kind: "admin.apis.create", Actor: "cli:import-auth0",
				Subject: api.ID, Source: who, Details: details}
		}
		if err := store.CreateAPI(mint.WithAudit(ctx, record), api); err != nil {
			return fmt.Errorf("import auth0: API %s: %w", api.Audience, err)
		}
	}
	run := &importRun{imp: imp, apis: w.apis, batchSize: defaultImportBatch,
		actor: "cli:import-auth0", source: who, file: source}
	for i, c := range w.newClients {
		if err := run.add(ctx, i+1, auth0Line(c, "")); err != nil {
			return fmt.Errorf("import auth0: %w", err)
		}
	}
	if err := run.flush(ctx); err != nil {
		return fmt.Errorf("import auth0: %w", err)
	}
	fmt.Fprintf(inv.stdout, "created %d APIs, %d clients and %d grants; %d identical left alone, %d different left alone, %d skipped\n",
		len(w.newAPIs), run.clients, run.grants, len(w.same), len(w.differ), len(w.plan.Skipped))
	return nil
}
