package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// secretWarning is printed on stderr whenever a new secret is shown.
const secretWarning = "mint: the client secret is shown only this once: store it now"

// clientView is a client as the admin API shows it. ClientSecret is set
// only in the answers to create and rotate-secret.
type clientView struct {
	ClientID     string `json:"client_id"`
	Name         string `json:"name"`
	ClientSecret string `json:"client_secret"`
	JWKS         *struct {
		Keys []struct {
			KeyID string `json:"kid"`
			Type  string `json:"kty"`
		} `json:"keys"`
	} `json:"jwks"`
	IntrospectAll       bool              `json:"introspect_all"`
	TokensRevokedBefore string            `json:"tokens_revoked_before"`
	TokensPerHour       *int64            `json:"tokens_per_hour"`
	TokensPerDay        *int64            `json:"tokens_per_day"`
	Metadata            map[string]string `json:"metadata"`
	Policy              string            `json:"policy"`
	TokenBinding        string            `json:"token_binding"`
	tlsAuthView
	Secrets   []secretView `json:"secrets"`
	CreatedAt string       `json:"created_at"`
	UpdatedAt string       `json:"updated_at"`
}

// secretView is what the admin API tells of one secret: never the secret.
type secretView struct {
	ID         string `json:"id"`
	CreatedAt  string `json:"created_at"`
	ExpiresAt  string `json:"expires_at"`
	LastUsedAt string `json:"last_used_at"`
}

// clientFlags are the flags create and update share besides --name.
type clientFlags struct {
	jwksFile                    string
	introspectAll               bool
	tokensPerHour, tokensPerDay string
	metadata                    metadataFlag
	policy                      policyFlags
	binding                     string
	tls                         tlsAuthFlags
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.jwksFile, "jwks-file", "", "a `file` holding the client's public JWK Set {\"keys\":[…]}, for private_key_jwt")
	fs.BoolVar(&f.introspectAll, "introspect-all", false, "let the client introspect other clients' tokens (--introspect-all=false to stop)")
	fs.StringVar(&f.tokensPerHour, "tokens-per-hour", "", "tokens the client may get per clock hour: a `count`, 0 = unlimited, default = the server's default")
	fs.StringVar(&f.binding, "token-binding", "any", tokenBindingFlag)
	fs.StringVar(&f.tokensPerDay, "tokens-per-day", "", "tokens the client may get per UTC day: a `count`, 0 = unlimited, default = the server's default")
	f.policy.register(fs, "client")
	f.tls.register(fs)
}

// quota is a --tokens-per-hour or --tokens-per-day value for the admin
// API: nil (JSON null) for "default", else the count.
func quota(c *call, name, v string) (any, error) {
	if v == "default" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, usagef(c.cmd, "--%s must be a count, 0 (unlimited) or default", name)
	}
	return n, nil
}

// addTo puts the flags given into an admin request body.
func (f *clientFlags) addTo(c *call, body map[string]any) error {
	if c.fs.Changed("jwks-file") {
		data, err := os.ReadFile(f.jwksFile)
		if err != nil {
			return usagef(c.cmd, "--jwks-file: %v", err)
		}
		if !json.Valid(data) {
			return usagef(c.cmd, "--jwks-file: %s is not JSON", f.jwksFile)
		}
		body["jwks"] = json.RawMessage(data)
	}
	if c.fs.Changed("introspect-all") {
		body["introspect_all"] = f.introspectAll
	}
	if err := f.metadata.addTo(c, body); err != nil {
		return err
	}
	if err := f.policy.addTo(c, body); err != nil {
		return err
	}
	if c.fs.Changed("token-binding") {
		b, err := tokenBinding(c, f.binding)
		if err != nil {
			return err
		}
		body["token_binding"] = b
	}
	f.tls.addTo(c, body)
	for _, q := range []struct{ flag, field, value string }{
		{"tokens-per-hour", "tokens_per_hour", f.tokensPerHour},
		{"tokens-per-day", "tokens_per_day", f.tokensPerDay},
	} {
		if c.fs.Changed(q.flag) {
			v, err := quota(c, q.flag, q.value)
			if err != nil {
				return err
			}
			body[q.field] = v
		}
	}
	return nil
}

func clientsCreate(c *call) runFunc {
	name := c.fs.String("name", "", "the client's `name`, for people")
	var extra clientFlags
	extra.register(c.fs)
	extra.metadata.register(c.fs, false)
	return func(ctx context.Context, _ []string) error {
		if err := required(c, "name", *name); err != nil {
			return err
		}
		body := map[string]any{"name": *name}
		if err := extra.addTo(c, body); err != nil {
			return err
		}
		return withSecret(c, callAdmin(ctx, c, http.MethodPost, "/clients", body, clientDetail))
	}
}

func clientsList(c *call) runFunc {
	search := c.fs.String("search", "", "only the clients whose name or ID starts with this `text` (ASCII letters in either case)")
	return pagedList(c, func() (string, url.Values) {
		q := url.Values{}
		if *search != "" {
			q.Set("q", *search)
		}
		return "/clients", q
	}, clientTable)
}

func clientsGet(c *call) runFunc { return adminGet(c, byID("/clients/"), clientDetail) }

func clientsUpdate(c *call) runFunc {
	name := c.fs.String("name", "", "the client's new `name`")
	var extra clientFlags
	extra.register(c.fs)
	extra.metadata.register(c.fs, true)
	return func(ctx context.Context, pos []string) error {
		body := map[string]any{}
		if *name != "" {
			body["name"] = *name
		}
		if err := extra.addTo(c, body); err != nil {
			return err
		}
		if len(body) == 0 {
			return usagef(c.cmd, "give --name, --jwks-file, --introspect-all, --token-binding, --tokens-per-hour, --tokens-per-day, --metadata, --policy or --policy-file")
		}
		return callAdmin(ctx, c, http.MethodPatch, "/clients/"+url.PathEscape(pos[0]), body, clientDetail)
	}
}

func clientsDelete(c *call) runFunc {
	revoke := c.fs.Bool("revoke-tokens", false, "also revoke the client's tokens (they are inactive at introspection anyway once it is gone)")
	return func(ctx context.Context, pos []string) error {
		return deleteClient(ctx, c, pos[0], *revoke)
	}
}

func deleteClient(ctx context.Context, c *call, id string, revoke bool) error {
	api, err := c.admin(ctx)
	if err != nil {
		return err
	}
	path := "/clients/" + url.PathEscape(id)
	if revoke {
		path += "?revoke_tokens=true"
	}
	if _, err := api.do(ctx, http.MethodDelete, path, nil); err != nil {
		return err
	}
	return done(c, "deleted %s %s", "client", id)
}

func clientsRotate(c *call) runFunc {
	ttl := c.fs.Int64("old-secret-ttl", 0, "keep the older secrets working this many `seconds` (default 0: they stop now)")
	revoke := c.fs.Bool("revoke-tokens", false, "revoke every token issued to the client so far (introspection reports them inactive)")
	return func(ctx context.Context, pos []string) error {
		body := map[string]any{}
		if c.fs.Changed("old-secret-ttl") {
			body["old_secret_ttl"] = *ttl
		}
		if *revoke {
			body["revoke_tokens"] = true
		}
		path := "/clients/" + url.PathEscape(pos[0]) + "/rotate-secret"
		return withSecret(c, callAdmin(ctx, c, http.MethodPost, path, body, clientDetail))
	}
}

// withSecret warns, in table mode, that the secret just printed is shown
// once; err is the outcome of printing it.
func withSecret(c *call, err error) error {
	if err == nil && !c.opts.json {
		fmt.Fprintln(c.stderr, secretWarning)
	}
	return err
}

func clientTable(w *tabwriter.Writer, clients []clientView) {
	row(w, "CLIENT ID", "NAME", "SECRETS", "CREATED")
	for _, cl := range clients {
		row(w, cl.ClientID, cl.Name, strconv.Itoa(len(cl.Secrets)), formatTime(cl.CreatedAt))
	}
}

func clientDetail(w *tabwriter.Writer, cl clientView) {
	row(w, "client_id", cl.ClientID)
	if cl.ClientSecret != "" {
		row(w, "client_secret", cl.ClientSecret)
	}
	row(w, "name", cl.Name)
	if cl.JWKS != nil {
		kids := make([]string, 0, len(cl.JWKS.Keys))
		for _, k := range cl.JWKS.Keys {
			kids = append(kids, k.Type+" "+orNone(k.KeyID))
		}
		row(w, "jwks", strings.Join(kids, ", "))
	}
	if cl.IntrospectAll {
		row(w, "introspect_all", "true")
	}
	if cl.TokensPerHour != nil {
		row(w, "tokens_per_hour", strconv.FormatInt(*cl.TokensPerHour, 10))
	}
	if cl.TokensPerDay != nil {
		row(w, "tokens_per_day", strconv.FormatInt(*cl.TokensPerDay, 10))
	}
	if cl.TokensRevokedBefore != "" {
		row(w, "tokens_revoked_before", formatTime(cl.TokensRevokedBefore))
	}
	metadataRows(w, cl.Metadata)
	policyRow(w, cl.Policy)
	if cl.TokenBinding != "" {
		row(w, "token_binding", cl.TokenBinding)
	}
	cl.tlsAuthView.rows(w)
	row(w, "created_at", formatTime(cl.CreatedAt))
	row(w, "updated_at", formatTime(cl.UpdatedAt))
	if len(cl.Secrets) == 0 {
		return
	}
	w.Flush()
	row(w, "\nsecrets:")
	row(w, "  ID", "CREATED", "EXPIRES", "LAST USED")
	for _, s := range cl.Secrets {
		row(w, "  "+s.ID, formatTime(s.CreatedAt), orNever(s.ExpiresAt), orNever(s.LastUsedAt))
	}
}

func orNever(t string) string {
	if t == "" {
		return "never"
	}
	return formatTime(t)
}

func orNone(s string) string {
	if s == "" {
		return "(no kid)"
	}
	return s
}
