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

func grantsCreate(ctx context.Context, c *call) error {
	var (
		body   grantCreate
		scopes scopeFlags
	)
	c.fs.StringVar(&body.ClientID, "client-id", "", "the `ID` of the client the grant is for")
	c.fs.StringVar(&body.Audience, "audience", "", "the `audience` of the API it may get tokens for")
	scopes.register(c.fs, "the scopes it may get, among the API's")
	if _, err := c.parse(0); err != nil {
		return err
	}
	if body.ClientID == "" || body.Audience == "" {
		return usagef(c.fs, "--client-id and --audience are required")
	}
	body.Scopes = scopes.list()
	return callAdmin(ctx, c, http.MethodPost, "/grants", body, grantDetail)
}

func grantsList(ctx context.Context, c *call) error {
	clientID := c.fs.String("client-id", "", "list only the grants of the client with this `ID`")
	if _, err := c.parse(0); err != nil {
		return err
	}
	path := "/grants"
	if *clientID != "" {
		path += "?" + url.Values{"client_id": {*clientID}}.Encode()
	}
	return callAdmin(ctx, c, http.MethodGet, path, nil, grantTable)
}

func grantsGet(ctx context.Context, c *call) error {
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	return callAdmin(ctx, c, http.MethodGet, "/grants/"+url.PathEscape(pos[0]), nil, grantDetail)
}

func grantsUpdate(ctx context.Context, c *call) error {
	var scopes scopeFlags
	scopes.register(c.fs, "the scopes the grant allows from now on")
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	if !isSet(c.fs, "scope") && !isSet(c.fs, "scopes") {
		return usagef(c.fs, "nothing to change: give --scope or --scopes")
	}
	body := map[string][]string{"scopes": scopes.list()}
	return callAdmin(ctx, c, http.MethodPatch, "/grants/"+url.PathEscape(pos[0]), body, grantDetail)
}

func grantsDelete(ctx context.Context, c *call) error {
	return deleteResource(ctx, c, "/grants/", "grant")
}

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
