package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// loginCommand is `mint login`: it checks the credentials (they must get an
// admin token), stores them in the config file as a context and makes it
// the current one, so that no shell needs MINT_CLIENT_SECRET exported. The
// secret is read from standard input or a prompt, not from a flag: a flag
// shows in ps and in shell history.
func (inv *invocation) loginCommand() *cobra.Command {
	var (
		opts options
		name string
	)
	cmd := &cobra.Command{
		Use:   "login --server URL --client-id ID [--context NAME] < secret",
		Short: "check a server's admin credentials and store them as the current context of the config file",
		Long: `The secret is read from standard input (echo "$SECRET" | mint login …), or
prompted for on a terminal without echo. Contexts live in $XDG_CONFIG_HOME/mint/config.json
(else ~/.config/mint/config.json), mode 0600. Flags and MINT_* variables win over the context.`,
		Args: exactArgs(0),
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.server, "server", "", "mint server `URL` (default $MINT_SERVER, else "+defaultServer+")")
	fs.StringVar(&opts.clientID, "client-id", "", "your client `ID` (default $MINT_CLIENT_ID)")
	fs.StringVar(&opts.clientSecret, "client-secret", "", "your client `secret`: prefer standard input, a flag shows in ps")
	fs.StringVar(&name, "context", "", "the context's `name` (default the server's host:port)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if opts.clientSecret != "" {
			fmt.Fprintln(inv.stderr, "mint: warning: --client-secret shows in ps and shell history; pipe the secret on standard input instead")
		}
		opts.server = firstSet(opts.server, inv.getenv("MINT_SERVER"), defaultServer)
		opts.clientID = firstSet(opts.clientID, inv.getenv("MINT_CLIENT_ID"))
		if opts.clientID == "" {
			return usagef(cmd, "missing --client-id")
		}
		return inv.login(cmd.Context(), opts, name)
	}
	return cmd
}

func (inv *invocation) login(ctx context.Context, opts options, name string) error {
	u, err := url.Parse(opts.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: fmt.Sprintf("bad server URL %q: want http(s)://host[:port]", opts.server)}
	}
	opts.server = strings.TrimRight(opts.server, "/")
	if opts.clientSecret == "" {
		secret, err := readSecret(inv.stdin, inv.stderr, opts.clientID)
		if err != nil {
			return err
		}
		opts.clientSecret = secret
	}
	if _, err := connectAdmin(ctx, inv.http, &opts, newTokenCache(inv.getenv, &opts)); err != nil {
		return err
	}
	if name == "" {
		name = u.Host
	}
	path := configPath(inv.getenv)
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	cfg.put(contextEntry{Name: name, Server: opts.server, ClientID: opts.clientID, ClientSecret: opts.clientSecret})
	cfg.CurrentContext = name
	if err := cfg.save(path); err != nil {
		return fmt.Errorf("saving the config file: %w", err)
	}
	fmt.Fprintf(inv.stdout, "logged in to %s as %s; context %q is current (%s)\n", opts.server, opts.clientID, name, path)
	return nil
}

// readSecret reads a client secret: one line of standard input, prompted
// for without echo when it is a terminal.
func readSecret(stdin io.Reader, stderr io.Writer, clientID string) (string, error) {
	if isTerminal(stdin) {
		fmt.Fprintf(stderr, "client secret of %s: ", clientID)
		secret, err := readNoEcho(stdin)
		fmt.Fprintln(stderr)
		if err == nil && secret != "" {
			return secret, nil
		}
		if err != nil && !errors.Is(err, errNoTerminal) {
			return "", err
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if secret := strings.TrimSpace(line); secret != "" {
		return secret, nil
	}
	return "", &usageError{msg: "no client secret: give it on standard input (echo \"$SECRET\" | mint login …)"}
}

// logoutCommand is `mint logout`: it revokes the cached admin token of the
// context, forgets it and removes the context and its secret from the
// config file.
func (inv *invocation) logoutCommand() *cobra.Command {
	var opts options
	cmd := &cobra.Command{
		Use:   "logout [--context NAME]",
		Short: "revoke and forget the cached admin token, and remove the context and its secret from the config file",
		Args:  exactArgs(0),
	}
	cmd.Flags().StringVar(&opts.context, "context", "", "the context to log out of (default $MINT_CONTEXT, else the current one)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return inv.logout(cmd.Context(), opts) }
	return cmd
}

func (inv *invocation) logout(ctx context.Context, opts options) error {
	name := firstSet(opts.context, inv.getenv("MINT_CONTEXT"))
	path := configPath(inv.getenv)
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	if name == "" {
		name = cfg.CurrentContext
	}
	entry := cfg.find(name)
	if entry == nil {
		return &usageError{msg: "not logged in: no current context (mint config get-contexts lists them)"}
	}
	opts = options{server: entry.Server, clientID: entry.ClientID, clientSecret: entry.ClientSecret}
	cache := newTokenCache(inv.getenv, &opts)
	revoked := inv.revokeCached(ctx, entry.Server, cache)
	if err := cache.drop(); err != nil {
		return err
	}
	cfg.remove(name)
	if err := cfg.save(path); err != nil {
		return err
	}
	fmt.Fprintf(inv.stdout, "logged out of %q: %s\n", name, revoked)
	return nil
}

// revokeCached revokes the cached admin token with DELETE /admin/v1/token,
// which revokes the token it carries, and says what became of it.
func (inv *invocation) revokeCached(ctx context.Context, server string, cache tokenCache) string {
	tok, ok := cache.get(time.Now())
	if !ok {
		return "no cached token to revoke"
	}
	_, err := send(ctx, inv.http, http.MethodDelete, server+"/admin/v1/token", tok, nil)
	if err != nil {
		return fmt.Sprintf("the cached token could not be revoked (%v); it was forgotten and expires within its lifetime", err)
	}
	return "the cached admin token was revoked"
}

// configCommand is `mint config`: the contexts of the config file.
func (inv *invocation) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use: "config", Short: "list the config file's contexts and choose the current one",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: "config: no subcommand given", usage: helpText(cmd)}
			}
			return unknownCommand(cmd, args[0])
		},
	}
	var asJSON bool
	get := &cobra.Command{Use: "get-contexts", Short: "list the contexts; * marks the current one", Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error { return inv.getContexts(asJSON) }}
	get.Flags().BoolVar(&asJSON, "json", false, "print the contexts as JSON, without their secrets")
	use := &cobra.Command{Use: "use-context NAME", Short: "make a context the current one", Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return inv.useContext(args[0]) },
		ValidArgsFunction: func(cmd *cobra.Command, args []string, s string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return (&call{invocation: inv}).contextNames(cmd, args, s)
		}}
	current := &cobra.Command{Use: "current-context", Short: "print the current context's name", Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig(configPath(inv.getenv))
			if err != nil {
				return err
			}
			if cfg.CurrentContext == "" {
				return &usageError{msg: "no current context: run mint login"}
			}
			_, err = fmt.Fprintln(inv.stdout, cfg.CurrentContext)
			return err
		}}
	cmd.AddCommand(get, use, current)
	return cmd
}

func (inv *invocation) getContexts(asJSON bool) error {
	cfg, err := loadConfig(configPath(inv.getenv))
	if err != nil {
		return err
	}
	if asJSON {
		type shown struct {
			Name     string `json:"name"`
			Server   string `json:"server"`
			ClientID string `json:"client_id"`
			Current  bool   `json:"current"`
		}
		out := []shown{}
		for _, e := range cfg.Contexts {
			out = append(out, shown{e.Name, e.Server, e.ClientID, e.Name == cfg.CurrentContext})
		}
		enc := jsonLines(inv.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := newTable(inv.stdout)
	row(tw, "CURRENT", "NAME", "SERVER", "CLIENT ID")
	for _, e := range cfg.Contexts {
		mark := ""
		if e.Name == cfg.CurrentContext {
			mark = "*"
		}
		row(tw, mark, e.Name, e.Server, e.ClientID)
	}
	return tw.Flush()
}

func (inv *invocation) useContext(name string) error {
	path := configPath(inv.getenv)
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	if cfg.find(name) == nil {
		return &usageError{msg: fmt.Sprintf("no context %q in the config file (mint config get-contexts lists them)", name)}
	}
	cfg.CurrentContext = name
	if err := cfg.save(path); err != nil {
		return err
	}
	_, err = fmt.Fprintf(inv.stdout, "switched to context %q\n", name)
	return err
}

// errNoTerminal: the input is not a terminal whose echo can be turned off.
var errNoTerminal = errors.New("not a terminal")
