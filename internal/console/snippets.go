package console

import (
	"errors"
	"net/http"
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
	// The choices are the first clients and APIs (a client's page links
	// here with its ID, which is read on its own if it is not among them).
	if err := c.backend.call(r.Context(), r, "GET", snippetClientsPath, sess.Token, nil, &d.Clients); err != nil {
		return err
	}
	if err := c.backend.call(r.Context(), r, "GET", apisForFormsPath, sess.Token, nil, &d.APIs); err != nil {
		return err
	}
	if err := c.chosenClient(r, sess, &d); err != nil {
		return err
	}
	if i := slices.IndexFunc(d.APIs, func(a apiView) bool { return a.ID == d.APIID }); i >= 0 {
		d.API = &d.APIs[i]
	}
	if d.Client != nil && d.API != nil {
		var grants []grantView
		if err := c.backend.call(r.Context(), r, "GET", clientGrantsPath(d.Client.ClientID), sess.Token, nil, &grants); err != nil {
			return err
		}
		d.Granted = slices.ContainsFunc(grants, func(g grantView) bool { return g.Audience == d.API.Audience })
		d.Snippets = snippets(snippetInput{TokenURL: c.cfg.TokenURL, ClientID: d.Client.ClientID, Audience: d.API.Audience})
	}
	c.renderPage(w, r, sess, http.StatusOK, "snippets", "snippets", "Snippets", d)
	return nil
}

// snippetClientsPath reads the clients the snippets page offers.
const snippetClientsPath = "/admin/v1/clients?limit=200"

// chosenClient sets d.Client to the client the query names: from the
// choices, or read on its own (and added to them) when it is not among
// them. An unknown one is no choice.
func (c *Console) chosenClient(r *http.Request, sess *session, d *snippetsData) error {
	if i := slices.IndexFunc(d.Clients, func(cl clientView) bool { return cl.ClientID == d.ClientID }); i >= 0 {
		d.Client = &d.Clients[i]
		return nil
	}
	if d.ClientID == "" {
		return nil
	}
	var cl clientView
	err := c.backend.call(r.Context(), r, "GET", clientPath(d.ClientID), sess.Token, nil, &cl)
	var e *apiError
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	d.Clients = append(d.Clients, cl)
	d.Client = &d.Clients[len(d.Clients)-1]
	return nil
}
