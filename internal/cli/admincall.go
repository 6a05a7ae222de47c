package cli

import (
	"context"
	"net/http"
	"net/url"
	"strings"
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

// deleteResource is a `delete ID` command against prefix+ID.
func deleteResource(c *call, prefix, kind string) runFunc {
	return func(ctx context.Context, pos []string) error {
		api, err := c.admin(ctx)
		if err != nil {
			return err
		}
		if _, err := api.do(ctx, http.MethodDelete, prefix+url.PathEscape(pos[0]), nil); err != nil {
			return err
		}
		return done(c, "deleted %s %s", kind, pos[0])
	}
}

// adminGet is a command that shows what GET path(pos) answers.
func adminGet[T any](c *call, path func(pos []string) string, render func(*tabwriter.Writer, T)) runFunc {
	return func(ctx context.Context, pos []string) error {
		return callAdmin(ctx, c, http.MethodGet, path(pos), nil, render)
	}
}

// byID is the path prefix+ID of the positional argument.
func byID(prefix string) func(pos []string) string {
	return func(pos []string) string { return prefix + url.PathEscape(pos[0]) }
}

// fixed is a path that takes no argument.
func fixed(path string) func([]string) string {
	return func([]string) string { return path }
}

// required reports the first of the named flags left empty, and which
// are required: pairs of flag name and value.
func required(c *call, pairs ...string) error {
	var names []string
	for i := 0; i+1 < len(pairs); i += 2 {
		names = append(names, "--"+pairs[i])
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return usagef(c.cmd, "missing --%s (%s are required)", pairs[i], strings.Join(names, " and "))
		}
	}
	return nil
}
