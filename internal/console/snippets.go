package console

import (
	"net/http"
	"net/url"
	"slices"
)

type snippetsData struct {
	Clients           []clientView
	APIs              []apiView
	ClientID, APIID   string
	Client            *clientView
	API               *apiView
	Granted           bool
	TokenURL          string
	SecretPlaceholder string
	Snippets          []snippet
}

// showSnippets shows, for the client and API chosen in the query, the
// token request in each language.
func (c *Console) showSnippets(w http.ResponseWriter, r *http.Request, sess *session) error {
	d := snippetsData{ClientID: r.URL.Query().Get("client"), APIID: r.URL.Query().Get("api"),
		TokenURL: c.cfg.TokenURL, SecretPlaceholder: SecretPlaceholder}
	if err := c.backend.call(r.Context(), r, "GET", "/admin/v1/clients", sess.Token, nil, &d.Clients); err != nil {
		return err
	}
	if err := c.backend.call(r.Context(), r, "GET", "/admin/v1/apis", sess.Token, nil, &d.APIs); err != nil {
		return err
	}
	if i := slices.IndexFunc(d.Clients, func(cl clientView) bool { return cl.ClientID == d.ClientID }); i >= 0 {
		d.Client = &d.Clients[i]
	}
	if i := slices.IndexFunc(d.APIs, func(a apiView) bool { return a.ID == d.APIID }); i >= 0 {
		d.API = &d.APIs[i]
	}
	if d.Client != nil && d.API != nil {
		var grants []grantView
		if err := c.backend.call(r.Context(), r, "GET", "/admin/v1/grants?client_id="+url.QueryEscape(d.Client.ClientID), sess.Token, nil, &grants); err != nil {
			return err
		}
		d.Granted = slices.ContainsFunc(grants, func(g grantView) bool { return g.Audience == d.API.Audience })
		d.Snippets = snippets(snippetInput{TokenURL: c.cfg.TokenURL, ClientID: d.Client.ClientID, Audience: d.API.Audience})
	}
	c.renderPage(w, r, sess, http.StatusOK, "snippets", "snippets", "Snippets", d)
	return nil
}
