// Package console is mint's admin console: server-rendered HTML pages at
// /console/, embedded in the binary (go:embed), for the admin API's APIs,
// clients, grants and signing keys, for the snippets a partner pastes to
// get a token, and a dashboard of the token endpoint's last hours
// (dashboard.go: SVG charts drawn here from package dashboard's rollup,
// each with a table of its numbers).
//
// The console is a client of the admin API, never of the store: each page
// calls the admin API's handler in process with the signed-in operator's
// admin access token as its bearer token, so every scope check of the admin
// API applies to console actions as well. The dashboard's numbers are the
// one thing read from the serving process instead (Config.Dashboard), once
// the admin API has confirmed that the session may read the audit log.
//
// Signing in exchanges an admin client's id and secret for an admin token
// (audience urn:mint:admin) at the token endpoint, also in process. The token
// rides in the session cookie, sealed with AES-256-GCM under a key derived
// from mint's master key (HKDF-SHA256), so every replica opens every session
// and none keeps session state. The cookie is HttpOnly, SameSite=Strict,
// Path=/console and Secure over TLS; it lasts as long as the token, at most
// one hour.
//
// Every POST is checked twice against cross-site request forgery: by
// net/http's CrossOriginProtection (Sec-Fetch-Site, else Origin against
// Host), and by a per-session token carried in a hidden form field and
// compared in constant time. Pages are sent with a strict
// Content-Security-Policy that allows only the console's own script and
// style sheet; the pages work without that script, which only adds copy
// buttons and in-page confirmation dialogs.
package console
