// Package client is the Go SDK for mint: it obtains access tokens with the
// OAuth 2.0 client credentials grant (RFC 6749 §4.4) and sends them as
// bearer tokens (RFC 6750 §2.1) on calls to the APIs that accept them.
//
// # Dialects
//
// Token endpoints in the wild speak one of three dialects, chosen with
// [Config.Style]:
//
//   - [StyleJSON], the default: a JSON body
//     {"grant_type":"client_credentials","client_id":…,"client_secret":…,"audience":…}
//     POSTed to the token URL, as Auth0 and the services modelled on it expect
//     (mint's /oauth/token among them).
//   - [StyleFormPost]: an application/x-www-form-urlencoded body carrying the
//     credentials as client_id and client_secret (RFC 6749 §2.3.1, second form).
//   - [StyleFormBasic]: a form body with the credentials in an HTTP Basic
//     Authorization header, each form-urlencoded before base64 (RFC 6749 §2.3.1).
//
// In every dialect the audience is sent only when set, and the scopes
// space-joined as "scope" only when set (RFC 6749 §3.3). The answer is the
// RFC 6749 §5.1 JSON object; failures are the §5.2 error object and come back
// as [*Error].
//
// # Caching and retries
//
// A token is fetched once and shared until shortly before it expires (see
// [Config.TokenSource] for the exact policy); concurrent callers wait on one
// request. The token endpoint is retried on 429, 5xx and network errors, with
// backoff and Retry-After honoured, never on 4xx. The transport from
// [Config.Transport] also recovers once from an API that rejects a token
// as expired or invalid before the client expected it.
package client
