// Package cli is the command line of the mint binary, built on cobra: its
// help, completion, contexts and token cache, and every command except those
// that run a server or open a database (serve, gateway, bench, backup, audit
// verify --db), which cmd/mint adds through Extensions. It manages a running server through
// its admin API (/admin/v1/) and gets access tokens from its token endpoint
// with the OAuth 2.0 client credentials grant (RFC 6749 §4.4), the request
// written as a JSON body the way Auth0 and the services modelled on it take
// it:
//
//	{"client_id":…,"client_secret":…,"audience":…,"grant_type":"client_credentials"}
//
// # Commands
//
//	mint apis    create|list|get|update|delete
//	mint clients create|list|get|update|delete|rotate-secret
//	mint grants  create|list|get|update|delete
//	mint keys    list|rotate
//	mint audit   list|verify
//	mint token   [--audience AUD] [--scope S]...
//	mint verify  --audience AUD TOKEN
//	mint login|logout, mint config get-contexts|use-context|current-context
//	mint completion bash|zsh|fish|powershell, mint version, mint help
//
// Admin commands first get a token for the audience urn:mint:admin with the
// caller's credentials (no scope asked: all the admin scopes granted), then
// call the admin API with it as a bearer token (RFC 6750 §2.1); the token is
// cached in the user's cache directory until shortly before it expires
// (tokencache.go). The server is --server, else $MINT_SERVER, else the
// config file's context (config.go), else http://127.0.0.1:8080; the
// credentials are --client-id and --client-secret, else $MINT_CLIENT_ID and
// $MINT_CLIENT_SECRET, else the context's. --client-id is always the
// caller's own id; the client a grants or audit command is about is
// --client (grants create, grants list and audit list still read their old
// --client-id as the target, hidden and deprecated).
//
// # Output
//
// By default answers are aligned tables for people. With --json the server's
// JSON is printed as it came, indented, for scripts; `mint token` prints the
// access token alone so that TOKEN=$(mint token --audience X) works, and the
// whole token answer with --json. A client secret is printed only in the
// answers to `clients create` and `clients rotate-secret`, the one time the
// server shows it; the secret the CLI authenticates with is never printed.
//
// # Exit codes
//
//	0  success
//	1  the server refused the request: its RFC 6749 §5.2 error is printed on
//	   stderr as "mint: <error>: <error_description>"; with --json the
//	   server's error object is also printed on stdout
//	2  usage error: unknown command, bad flag or argument, no credentials
//	3  the server could not be reached, or answered something that is not
//	   mint's JSON (a proxy's HTML page, a wrong --server)
//	4  authentication failed: the token endpoint refused the credentials
//	   (invalid_client, or any refusal of the admin token), or the admin API
//	   answered 401 or 403
package cli
