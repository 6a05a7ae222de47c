package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// completionTimeout bounds what a shell's Tab waits for the server: a
// completion that does not come at once is worth less than a shell that
// answers.
const completionTimeout = 2 * time.Second

// argKind is what a command's positional argument names, for completion.
type argKind int

const (
	argNone argKind = iota
	argClient
	argAPI
	argGrant
)

// lister fetches completions from the admin API.
type lister func(ctx context.Context, api *adminAPI) ([]cobra.Completion, error)

// registerCompletions completes the positional argument and --client from
// the server.
func (c *call) registerCompletions(kind argKind) {
	if c.fs.Lookup("client") != nil {
		c.completeFlag("client", clientIDs)
	}
	_ = c.cmd.RegisterFlagCompletionFunc("context", c.contextNames)
	list := map[argKind]lister{argClient: clientIDs, argAPI: apiIDs, argGrant: grantIDs}[kind]
	if list == nil {
		c.cmd.ValidArgsFunction = cobra.NoFileCompletions
		return
	}
	fetch := c.fromServer(list)
	c.cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 { // the one argument is given
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fetch(cmd, args, toComplete)
	}
}

// completeFlag completes the flag called name from the server.
func (c *call) completeFlag(name string, list lister) {
	if c.fs.Lookup(name) == nil {
		return
	}
	_ = c.cmd.RegisterFlagCompletionFunc(name, c.fromServer(list))
}

// fromServer is a completion function that asks the server, with the
// credentials the command line so far, the environment or the context
// give, and the cached admin token. Any failure completes nothing, quietly:
// a shell's completion has nowhere to say why.
func (c *call) fromServer(list lister) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		opts := c.opts
		if opts.resolve(c.getenv) != nil || opts.needCredentials() != nil {
			return nil, none
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		hc := *c.http
		hc.Timeout = completionTimeout
		api, err := connectAdmin(ctx, &hc, &opts, newTokenCache(c.getenv, &opts))
		if err != nil {
			return nil, none
		}
		items, err := list(ctx, api)
		if err != nil {
			return nil, none
		}
		return items, none
	}
}

func clientIDs(ctx context.Context, api *adminAPI) ([]cobra.Completion, error) {
	var clients []clientView
	if err := api.getJSON(ctx, "/clients", &clients); err != nil {
		return nil, err
	}
	out := make([]cobra.Completion, 0, len(clients))
	for _, cl := range clients {
		out = append(out, cobra.CompletionWithDesc(cl.ClientID, cl.Name))
	}
	return out, nil
}

func audiences(ctx context.Context, api *adminAPI) ([]cobra.Completion, error) {
	var apis []apiView
	if err := api.getJSON(ctx, "/apis", &apis); err != nil {
		return nil, err
	}
	out := make([]cobra.Completion, 0, len(apis))
	for _, a := range apis {
		out = append(out, cobra.CompletionWithDesc(a.Audience, a.Name))
	}
	return out, nil
}

func apiIDs(ctx context.Context, api *adminAPI) ([]cobra.Completion, error) {
	var apis []apiView
	if err := api.getJSON(ctx, "/apis", &apis); err != nil {
		return nil, err
	}
	out := make([]cobra.Completion, 0, len(apis))
	for _, a := range apis {
		out = append(out, cobra.CompletionWithDesc(a.ID, a.Name+" "+a.Audience))
	}
	return out, nil
}

func grantIDs(ctx context.Context, api *adminAPI) ([]cobra.Completion, error) {
	var grants []grantView
	if err := api.getJSON(ctx, "/grants", &grants); err != nil {
		return nil, err
	}
	out := make([]cobra.Completion, 0, len(grants))
	for _, g := range grants {
		out = append(out, cobra.CompletionWithDesc(g.ID, g.ClientID+" → "+g.Audience))
	}
	return out, nil
}

// getJSON decodes what GET path answers into out.
func (a *adminAPI) getJSON(ctx context.Context, path string, out any) error {
	body, err := a.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, out)
}

// contextNames completes --context from the config file.
func (c *call) contextNames(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, err := loadConfig(configPath(c.getenv))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]cobra.Completion, 0, len(cfg.Contexts))
	for _, e := range cfg.Contexts {
		names = append(names, cobra.CompletionWithDesc(e.Name, e.Server))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// signingAlgs are the algorithms of mint's key rings, for completion.
var signingAlgs = []cobra.Completion{"RS256", "PS256", "ES256", "EdDSA"}

// completeFixed completes the flag called name from a fixed list.
func (c *call) completeFixed(name string, values ...cobra.Completion) {
	_ = c.cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}
