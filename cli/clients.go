package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
)

// secretWarning is printed on stderr whenever a new secret is shown.
const secretWarning = "mint: the client secret is shown only this once: store it now"

// clientView is a client as the admin API shows it. ClientSecret is set
// only in the answers to create and rotate-secret.
type clientView struct {
	ClientID     string       `json:"client_id"`
	Name         string       `json:"name"`
	ClientSecret string       `json:"client_secret"`
	Secrets      []secretView `json:"secrets"`
	CreatedAt    string       `json:"created_at"`
	UpdatedAt    string       `json:"updated_at"`
}

// secretView is what the admin API tells of one secret: never the secret.
type secretView struct {
	ID         string `json:"id"`
	CreatedAt  string `json:"created_at"`
	ExpiresAt  string `json:"expires_at"`
	LastUsedAt string `json:"last_used_at"`
}

func clientsCreate(ctx context.Context, c *call) error {
	name := c.fs.String("name", "", "the client's `name`, for people")
	if _, err := c.parse(0); err != nil {
		return err
	}
	if *name == "" {
		return usagef(c.fs, "--name is required")
	}
	return withSecret(c, callAdmin(ctx, c, http.MethodPost, "/clients", map[string]string{"name": *name}, clientDetail))
}

func clientsList(ctx context.Context, c *call) error {
	if _, err := c.parse(0); err != nil {
		return err
	}
	return callAdmin(ctx, c, http.MethodGet, "/clients", nil, clientTable)
}

func clientsGet(ctx context.Context, c *call) error {
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	return callAdmin(ctx, c, http.MethodGet, "/clients/"+url.PathEscape(pos[0]), nil, clientDetail)
}

func clientsUpdate(ctx context.Context, c *call) error {
	name := c.fs.String("name", "", "the client's new `name`")
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	if *name == "" {
		return usagef(c.fs, "--name is required")
	}
	body := map[string]string{"name": *name}
	return callAdmin(ctx, c, http.MethodPatch, "/clients/"+url.PathEscape(pos[0]), body, clientDetail)
}

func clientsDelete(ctx context.Context, c *call) error {
	return deleteResource(ctx, c, "/clients/", "client")
}

func clientsRotate(ctx context.Context, c *call) error {
	ttl := c.fs.Int64("old-secret-ttl", 0, "keep the older secrets working this many `seconds` (default 0: they stop now)")
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	body := map[string]int64{}
	if isSet(c.fs, "old-secret-ttl") {
		body["old_secret_ttl"] = *ttl
	}
	path := "/clients/" + url.PathEscape(pos[0]) + "/rotate-secret"
	return withSecret(c, callAdmin(ctx, c, http.MethodPost, path, body, clientDetail))
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
