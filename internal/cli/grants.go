package cli

import (
	"context"
	"net/http"
	"net/url"
	"text/tabwriter"
)

// grantView is a grant as the admin API shows it.
type grantView struct {
	ID        string   `json:"id"`
	ClientID  string   `json:"client_id"`
	Audience  string   `json:"audience"`
	Scopes    []string `json:"scopes"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

// grantCreate is the body of POST /admin/v1/grants.
type grantCreate struct {
	ClientID string   `json:"client_id"`
	Audience string   `json:"audience"`
	Scopes   []string `json:"scopes"`
}

func grantsCreate(c *call) runFunc {
	var (
		body   grantCreate
		scopes scopeFlags
	)
	targetClientFlag(c, &body.ClientID, "the `ID` of the client the grant is for")
	c.fs.StringVar(&body.Audience, "audience", "", "the `audience` of the API it may get tokens for")
	c.completeFlag("audience", audiences)
	scopes.register(c.fs, "the scopes it may get, among the API's")
	return func(ctx context.Context, _ []string) error {
		if err := required(c, "client", body.ClientID, "audience", body.Audience); err != nil {
			return err
		}
		body.Scopes = scopes.list()
		return callAdmin(ctx, c, http.MethodPost, "/grants", body, grantDetail)
	}
}

func grantsList(c *call) runFunc {
	var clientID, audience string
	targetClientFlag(c, &clientID, "list only the grants of the client with this `ID`")
	c.fs.StringVar(&audience, "audience", "", "list only the grants for the API with this `audience`")
	c.completeFlag("audience", audiences)
	return pagedList(c, func() (string, url.Values) {
		q := url.Values{}
		if clientID != "" {
			q.Set("client_id", clientID)
		}
		if audience != "" {
			q.Set("audience", audience)
		}
		return "/grants", q
	}, grantTable)
}

func grantsGet(c *call) runFunc { return adminGet(c, byID("/grants/"), grantDetail) }

func grantsUpdate(c *call) runFunc {
	var scopes scopeFlags
	scopes.register(c.fs, "the scopes the grant allows from now on")
	return func(ctx context.Context, pos []string) error {
		if !c.fs.Changed("scope") && !c.fs.Changed("scopes") {
			return usagef(c.cmd, "nothing to change: give --scope or --scopes")
		}
		body := map[string][]string{"scopes": scopes.list()}
		return callAdmin(ctx, c, http.MethodPatch, "/grants/"+url.PathEscape(pos[0]), body, grantDetail)
	}
}

func grantsDelete(c *call) runFunc { return deleteResource(c, "/grants/", "grant") }

func grantTable(w *tabwriter.Writer, grants []grantView) {
	row(w, "ID", "CLIENT ID", "AUDIENCE", "SCOPES", "CREATED")
	for _, g := range grants {
		row(w, g.ID, g.ClientID, g.Audience, joinScopes(g.Scopes), formatTime(g.CreatedAt))
	}
}

func grantDetail(w *tabwriter.Writer, g grantView) {
	row(w, "id", g.ID)
	row(w, "client_id", g.ClientID)
	row(w, "audience", g.Audience)
	row(w, "scopes", joinScopes(g.Scopes))
	row(w, "created_at", formatTime(g.CreatedAt))
	row(w, "updated_at", formatTime(g.UpdatedAt))
}
