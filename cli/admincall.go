package cli

import (
	"context"
	"net/http"
	"net/url"
	"text/tabwriter"
)

// callAdmin authenticates, makes one admin API request and shows its answer
// with render.
func callAdmin[T any](ctx context.Context, c *call, method, path string, body any, render func(*tabwriter.Writer, T)) error {
	api, err := c.admin(ctx)
	if err != nil {
		return err
	}
	answer, err := api.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	return show(c, answer, render)
}

// deleteResource runs a `delete ID` command against prefix+ID.
func deleteResource(ctx context.Context, c *call, prefix, kind string) error {
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	api, err := c.admin(ctx)
	if err != nil {
		return err
	}
	if _, err := api.do(ctx, http.MethodDelete, prefix+url.PathEscape(pos[0]), nil); err != nil {
		return err
	}
	return done(c, "deleted %s %s", kind, pos[0])
}
