package console

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

type clientsData struct {
	Clients []clientView
	Pager   *pager
	Form    *formState
	// Measured is false when the console has no token rates: the column
	// shows "—".
	Measured bool
	Rates    map[string]*clientRate
	Flag     int
}

// clientRate is a client's highest count of tokens in a token lifetime
// over its audiences, the audience it was for, and the time counted.
type clientRate struct {
	TokenRate
	// Short: the count covers less than the token lifetime (mint started
	// more recently, or the lifetime is longer than a day); the page says
	// so rather than stretch it over the lifetime.
	Short bool
	// Flagged: far more tokens than a client that reuses its token takes.
	Flagged bool
}

// flagTokensPerLifetime is where the clients page flags a client: one that
// caches its token takes about one per lifetime per running instance, so
// ten is a fleet of ten or, far more often, a token per call. Tokens
// counted are tokens taken: the count is compared as it is, never scaled
// from a shorter window to the lifetime (9 tokens in the 3 minutes since
// start, scaled to a day, read 216), so a flag is a fact: the client took
// that many within one lifetime.
const flagTokensPerLifetime = 10

// rates sums up the gauge by client: its highest audience.
func rates(series []TokenRate) map[string]*clientRate {
	out := map[string]*clientRate{}
	for _, r := range series {
		if cur, ok := out[r.ClientID]; !ok || r.Tokens > cur.Tokens {
			out[r.ClientID] = &clientRate{TokenRate: r, Short: r.Window < r.Lifetime,
				Flagged: r.Tokens >= flagTokensPerLifetime}
		}
	}
	return out
}

// clientData is the client page: the client, its secrets and grants, and
// the forms that change them.
type clientData struct {
	Client clientView
	// Secret is the secret just created or rotated, shown once.
	Secret string
	Grants []grantRow
	// Ungranted are the APIs the client has no grant for yet.
	Ungranted []apiView
	Forms     map[string]*formState
	TTLs      []ttlChoice
	// TrustRules are the client's trust rules (docs/federation.md).
	TrustRules []trustRuleView
	Bindings   []tokenBindingChoice
	// TLSChoices are the RFC 8705 registrations the client may have.
	TLSChoices []tlsAuthChoice
}

// grantRow is a grant with its API's scopes, to tick.
type grantRow struct {
	Grant  grantView
	API    *apiView // nil if the API is unknown
	Scopes []scopeChoice
}

type scopeChoice struct {
	Scope   string
	Granted bool
	// Gone: the grant names a scope its API no longer has.
	Gone bool
}

type ttlChoice struct {
	Seconds int64
	Label   string
}

// ttlChoices are the old_secret_ttl values offered when rotating.
var ttlChoices = []ttlChoice{
	{0, "stop working now"}, {3600, "keep working 1 hour"}, {86400, "keep working 1 day"},
	{7 * 86400, "keep working 7 days"}, {30 * 86400, "keep working 30 days"},
}

// Form returns the named form's state, empty if it was not submitted.
func (d clientData) Form(name string) *formState { return d.Forms[name] }

func clientPath(id string) string { return "/admin/v1/clients/" + url.PathEscape(id) }

func consoleClientPath(id string) string { return "/console/clients/" + url.PathEscape(id) }

// clientGrantsPath reads a client's grants, one per API at most: the
// admin API's largest page holds them unless there are over 1000 APIs.
func clientGrantsPath(id string) string {
	return "/admin/v1/grants?" + url.Values{"client_id": {id}, "limit": {"1000"}}.Encode()
}

// apisForFormsPath reads the APIs a form offers to choose from: the first
// 1000, the admin API's largest page.
const apisForFormsPath = "/admin/v1/apis?limit=1000"

func (c *Console) listClients(w http.ResponseWriter, r *http.Request, sess *session) error {
	return c.clientsPage(w, r, sess, http.StatusOK, &formState{})
}

func (c *Console) clientsPage(w http.ResponseWriter, r *http.Request, sess *session, status int, form *formState) error {
	var clients []clientView
	p := readPager(r, "/console/clients")
	if err := c.listPage(r.Context(), r, sess, p, "/admin/v1/clients", true, &clients); err != nil {
		return err
	}
	d := clientsData{Clients: clients, Pager: p, Form: form, Flag: flagTokensPerLifetime}
	if c.cfg.TokenRates != nil {
		// Only the clients shown: the page costs the same at any number.
		ids := make([]string, len(clients))
		for i, cl := range clients {
			ids[i] = cl.ClientID
		}
		d.Measured, d.Rates = true, rates(c.cfg.TokenRates(ids))
	}
	c.renderPage(w, r, sess, status, "clients", "clients", "Clients", d)
	return nil
}

func (c *Console) createClient(w http.ResponseWriter, r *http.Request, sess *session) error {
	form := submitted(r, "name")
	var created clientView
	err := c.backend.call(r.Context(), r, "POST", "/admin/v1/clients", sess.Token, map[string]any{"name": form.Value("name")}, &created)
	if err := form.fromAPI(err); err != nil {
		return err
	}
	if form.Failed() {
		return c.clientsPage(w, r, sess, http.StatusBadRequest, form)
	}
	return c.redirect(w, r, sess, consoleClientPath(created.ClientID), flash{
		Notice: "Client “" + created.Name + "” created.", Secret: created.ClientSecret, SecretClient: created.ClientID})
}

func (c *Console) showClient(w http.ResponseWriter, r *http.Request, sess *session) error {
	return c.clientPage(w, r, sess, http.StatusOK, nil)
}

// clientPage renders the client page; forms holds a submitted form that
// failed, by name.
func (c *Console) clientPage(w http.ResponseWriter, r *http.Request, sess *session, status int, forms map[string]*formState) error {
	id := r.PathValue("id")
	var cl clientView
	var grants []grantView
	var apis []apiView
	if err := c.backend.call(r.Context(), r, "GET", clientPath(id), sess.Token, nil, &cl); err != nil {
		return err
	}
	if err := c.backend.call(r.Context(), r, "GET", clientGrantsPath(id), sess.Token, nil, &grants); err != nil {
		return err
	}
	if err := c.backend.call(r.Context(), r, "GET", apisForFormsPath, sess.Token, nil, &apis); err != nil {
		return err
	}
	rules, err := c.trustRules(r, sess, id)
	if err != nil {
		return err
	}
	if forms == nil {
		forms = map[string]*formState{}
	}
	if forms["rename"] == nil {
		forms["rename"] = &formState{Values: map[string]string{"name": cl.Name}}
	}
	if forms["policy"] == nil {
		forms["policy"] = &formState{Values: map[string]string{"metadata": metadataText(cl.Metadata), "policy": cl.Policy}}
	}
	if forms["binding"] == nil {
		forms["binding"] = &formState{Values: map[string]string{"token_binding": cl.TokenBinding}}
	}
	if forms["tls"] == nil {
		forms["tls"] = tlsAuthForm(cl)
	}
	data := clientData{Client: cl, Grants: grantRows(grants, apis), Ungranted: ungranted(grants, apis), Forms: forms,
		TTLs: ttlChoices, TrustRules: rules, Bindings: tokenBindingChoices, TLSChoices: tlsAuthChoices}
	fl := c.takeFlash(w, r, sess)
	if fl != nil && fl.SecretClient == cl.ClientID {
		data.Secret = fl.Secret
	}
	c.render(w, r, status, "client", &view{Title: "Client " + cl.Name, Nav: "clients", Session: sess, Flash: fl, Data: data})
	return nil
}

func grantRows(grants []grantView, apis []apiView) []grantRow {
	rows := make([]grantRow, 0, len(grants))
	for _, g := range grants {
		row := grantRow{Grant: g}
		if i := slices.IndexFunc(apis, func(a apiView) bool { return a.Audience == g.Audience }); i >= 0 {
			row.API = &apis[i]
			for _, s := range apis[i].Scopes {
				row.Scopes = append(row.Scopes, scopeChoice{Scope: s, Granted: slices.Contains(g.Scopes, s)})
			}
		}
		for _, s := range g.Scopes {
			if row.API == nil || !slices.Contains(row.API.Scopes, s) {
				row.Scopes = append(row.Scopes, scopeChoice{Scope: s, Granted: true, Gone: true})
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// ungranted lists the APIs the client has no grant on, the admin API last:
// a grant on it makes the client an administrator of mint, so the add-a-
// grant form sets it apart and never offers it first.
func ungranted(grants []grantView, apis []apiView) []apiView {
	var out []apiView
	for _, a := range apis {
		if !slices.ContainsFunc(grants, func(g grantView) bool { return g.Audience == a.Audience }) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b apiView) int {
		return cmp.Compare(isAdminAPI(a), isAdminAPI(b))
	})
	return out
}

func isAdminAPI(a apiView) int {
	if a.Audience == mint.AdminAudience {
		return 1
	}
	return 0
}

func (c *Console) renameClient(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "name")
	err := c.backend.call(r.Context(), r, "PATCH", clientPath(id), sess.Token, map[string]any{"name": form.Value("name")}, nil)
	if err := form.fromAPI(err); err != nil {
		return err
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"rename": form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Name saved."})
}

func (c *Console) rotateSecret(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "old_secret_ttl", "revoke_tokens")
	ttl, ok := form.seconds("old_secret_ttl")
	if ok && !confirmed(r) {
		c.askConfirmation(w, r, sess, "clients", confirmData{Question: "Rotate this client's secret?",
			Detail: "Its current secrets " + ttlLabel(ttl) + ". The new secret is shown once.",
			Button: "Rotate secret", Cancel: consoleClientPath(id)})
		return nil
	}
	var rotated clientView
	if ok {
		body := map[string]any{"old_secret_ttl": ttl, "revoke_tokens": form.Value("revoke_tokens") == "yes"}
		if err := form.fromAPI(c.backend.call(r.Context(), r, "POST", clientPath(id)+"/rotate-secret", sess.Token, body, &rotated)); err != nil {
			return err
		}
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"rotate": form})
	}
	notice := "Secret rotated: the older secrets " + ttlLabel(ttl) + "."
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: notice, Secret: rotated.ClientSecret, SecretClient: id})
}

func ttlLabel(seconds int64) string {
	for _, t := range ttlChoices {
		if t.Seconds == seconds {
			return t.Label
		}
	}
	return "keep working " + (time.Duration(seconds) * time.Second).String()
}

func (c *Console) deleteClient(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	var cl clientView
	if err := c.backend.call(r.Context(), r, "GET", clientPath(id), sess.Token, nil, &cl); err != nil {
		return err
	}
	if !confirmed(r) {
		c.askConfirmation(w, r, sess, "clients", confirmData{Question: "Delete the client “" + cl.Name + "”?",
			Detail: "Its secrets and grants are deleted too: it can get no more tokens.",
			Button: "Delete client", Cancel: consoleClientPath(id)})
		return nil
	}
	if err := c.backend.call(r.Context(), r, "DELETE", clientPath(id), sess.Token, nil, nil); err != nil {
		return err
	}
	return c.redirect(w, r, sess, "/console/clients", flash{Notice: "Client “" + cl.Name + "” deleted."})
}

func (c *Console) createGrant(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "audience", "scopes")
	body := map[string]any{"client_id": id, "audience": form.Value("audience"), "scopes": words(form.Value("scopes"))}
	err := c.backend.call(r.Context(), r, "POST", "/admin/v1/grants", sess.Token, body, nil)
	if err := form.fromAPI(err); err != nil {
		return err
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"grant": form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Grant on " + form.Value("audience") + " added."})
}

func grantPath(id string) string { return "/admin/v1/grants/" + url.PathEscape(id) }

func (c *Console) updateGrant(w http.ResponseWriter, r *http.Request, sess *session) error {
	id, gid := r.PathValue("id"), r.PathValue("grant")
	scopes := r.PostForm["scope"]
	if scopes == nil {
		scopes = []string{}
	}
	form := &formState{Values: map[string]string{"scopes": strings.Join(scopes, " ")}, Errors: map[string]string{}}
	err := c.backend.call(r.Context(), r, "PATCH", grantPath(gid), sess.Token, map[string]any{"scopes": scopes}, nil)
	if err := form.fromAPI(err); err != nil {
		return err
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"grant-" + gid: form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Scopes saved."})
}

func (c *Console) deleteGrant(w http.ResponseWriter, r *http.Request, sess *session) error {
	id, gid := r.PathValue("id"), r.PathValue("grant")
	var g grantView
	if err := c.backend.call(r.Context(), r, "GET", grantPath(gid), sess.Token, nil, &g); err != nil {
		return err
	}
	if !confirmed(r) {
		c.askConfirmation(w, r, sess, "clients", confirmData{Question: "Delete the grant on " + g.Audience + "?",
			Detail: "The client can get no more tokens for this API.", Button: "Delete grant", Cancel: consoleClientPath(id)})
		return nil
	}
	if err := c.backend.call(r.Context(), r, "DELETE", grantPath(gid), sess.Token, nil, nil); err != nil {
		return err
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Grant on " + g.Audience + " deleted."})
}
