package auth0

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds of the Management API reader.
const (
	perPage = 100 // the Management API's largest page
	// MaxPages and MaxItems bound each list, whatever the pages hold.
	MaxPages = 1000
	MaxItems = 100_000
	// DefaultMaxBody bounds one page's answer.
	DefaultMaxBody = 8 << 20
	// DefaultMaxWait bounds one wait for a rate limit's reset.
	DefaultMaxWait = 60 * time.Second
	maxRateLimited = 5 // answers 429 in a row before giving up
	requestTimeout = 30 * time.Second
)

// Management reads a tenant through the Management API v2 with a token
// the operator supplies (read:resource_servers, read:clients,
// read:client_keys for the secrets, read:client_grants).
type Management struct {
	// BaseURL is https://TENANT.auth0.com (see ManagementURL).
	BaseURL string
	Token   string
	// HTTP defaults to a client with a 30 s timeout that follows no
	// redirect (the token must not go elsewhere).
	HTTP *http.Client
	// MaxBody and MaxWait default to DefaultMaxBody and DefaultMaxWait.
	MaxBody int64
	MaxWait time.Duration
	// Sleep waits d or until ctx ends; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now defaults to time.Now; tests replace it.
	Now func() time.Time
}

// ManagementURL turns --domain into the Management API's base URL:
// "tenant.eu.auth0.com" (or a custom domain) gives https://tenant.eu.auth0.com.
// A full URL is accepted; http only for a loopback address, so that tests
// can play the API and a token never crosses a network in clear.
func ManagementURL(domain string) (string, error) {
	raw := domain
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("--domain %q: want a tenant domain such as tenant.eu.auth0.com", domain)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("--domain %q: http only on a loopback address; use https", domain)
		}
	default:
		return "", fmt.Errorf("--domain %q: want https", domain)
	}
	return u.Scheme + "://" + u.Host, nil
}

// ManagementAudience is the audience of a tenant's own Management API.
func ManagementAudience(baseURL string) string { return strings.TrimSuffix(baseURL, "/") + "/api/v2/" }

// Tenant reads every resource server, client and client grant.
func (m *Management) Tenant(ctx context.Context) (Tenant, error) {
	var t Tenant
	var err error
	if t.ResourceServers, err = list[ResourceServer](ctx, m, "resource-servers", "resource_servers", nil); err != nil {
		return Tenant{}, err
	}
	// Asking for the fields keeps pages small; client_secret is returned
	// only to a token with read:client_keys.
	fields := url.Values{"fields": {"client_id,client_secret,name,app_type,grant_types,global"}, "include_fields": {"true"}}
	if t.Clients, err = list[Client](ctx, m, "clients", "clients", fields); err != nil {
		return Tenant{}, err
	}
	if t.ClientGrants, err = list[ClientGrant](ctx, m, "client-grants", "client_grants", nil); err != nil {
		return Tenant{}, err
	}
	return t, nil
}

// list reads every page of GET /api/v2/{path}: with include_totals the
// answer is {"start","limit","length","total", key: [...]}.
func list[T any](ctx context.Context, m *Management, path, key string, extra url.Values) ([]T, error) {
	var all []T
	for page := 0; page < MaxPages; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}, "include_totals": {"true"}}
		for k, v := range extra {
			q[k] = v
		}
		body, err := m.get(ctx, "/api/v2/"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("GET /api/v2/%s page %d: %w", path, page, err)
		}
		items, total, err := decodePage[T](body, key)
		if err != nil {
			return nil, fmt.Errorf("GET /api/v2/%s page %d: %w", path, page, err)
		}
		all = append(all, items...)
		if len(all) > MaxItems {
			return nil, fmt.Errorf("GET /api/v2/%s: more than %d entries", path, MaxItems)
		}
		if len(items) == 0 && total >= 0 && len(all) < total {
			// A tenant capping page-based lists: a partial tenant must
			// not pass for a whole one.
			return nil, fmt.Errorf("GET /api/v2/%s: the pages end after %d of the %d in its total", path, len(all), total)
		}
		if len(items) == 0 || total >= 0 && len(all) >= total || total < 0 && len(items) < perPage {
			return all, nil
		}
	}
	return nil, fmt.Errorf("GET /api/v2/%s: more than %d pages", path, MaxPages)
}

// decodePage reads a page with totals (-1 if absent); a plain array (a server ignoring
// include_totals) is one last page.
func decodePage[T any](body []byte, key string) ([]T, int, error) {
	var items []T
	if len(body) > 0 && body[0] == '[' {
		err := decodeJSON(body, &items)
		return items, len(items), err
	}
	var page map[string]json.RawMessage
	if err := decodeJSON(body, &page); err != nil {
		return nil, 0, err
	}
	raw, ok := page[key]
	if !ok {
		return nil, 0, fmt.Errorf("the answer has no %q", key)
	}
	if err := decodeJSON(raw, &items); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", key, err)
	}
	total := -1 // not given: read on until a short page
	if t, ok := page["total"]; ok {
		if err := json.Unmarshal(t, &total); err != nil {
			return nil, 0, errors.New(`"total" is not a number`)
		}
	}
	return items, total, nil
}

// get does one GET, waiting out 429 answers up to maxRateLimited times,
// each wait at most MaxWait.
func (m *Management) get(ctx context.Context, pathQuery string) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, wait, err := m.getOnce(ctx, pathQuery)
		if err == nil || wait < 0 {
			return body, err
		}
		if attempt >= maxRateLimited {
			return nil, fmt.Errorf("still rate limited after %d tries", attempt)
		}
		if err := m.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// errRateLimited is getOnce's error for a 429, with a wait ≥ 0.
var errRateLimited = errors.New("rate limited")

// getOnce does one GET. wait ≥ 0 means rate limited: try again after it.
func (m *Management) getOnce(ctx context.Context, pathQuery string) (body []byte, wait time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.BaseURL+pathQuery, nil)
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("Authorization", "Bearer "+m.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := m.httpClient().Do(req)
	if err != nil {
		return nil, -1, err
	}
	defer resp.Body.Close()
	body, err = readBounded(resp.Body, m.maxBody())
	if err != nil {
		return nil, -1, fmt.Errorf("answer %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		w, err := m.resetWait(resp.Header.Get("X-RateLimit-Reset"))
		if err != nil {
			return nil, -1, err
		}
		return nil, w, errRateLimited
	case resp.StatusCode != http.StatusOK:
		return nil, -1, statusError(resp.StatusCode, body)
	}
	return body, -1, nil
}

// resetWait is how long to wait for X-RateLimit-Reset (epoch seconds).
func (m *Management) resetWait(header string) (time.Duration, error) {
	if header == "" {
		return time.Second, nil
	}
	epoch, err := strconv.ParseInt(header, 10, 64)
	if err != nil {
		return 0, errors.New("rate limited, with an X-RateLimit-Reset that is not epoch seconds")
	}
	wait := time.Unix(epoch, 0).Sub(m.now())
	if wait > m.maxWait() {
		return 0, fmt.Errorf("rate limited until %s, longer than the %s this command waits",
			time.Unix(epoch, 0).UTC().Format(time.RFC3339), m.maxWait())
	}
	return max(wait, 0), nil
}

// statusError describes a refusal with Auth0's error and message, bounded,
// never the token.
func statusError(status int, body []byte) error {
	var e struct{ Error, Message, ErrorCode string }
	_ = json.Unmarshal(body, &e)
	msg := e.Message
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	hint := ""
	switch status {
	case http.StatusUnauthorized:
		hint = " (is AUTH0_MGMT_TOKEN a valid Management API token for this tenant?)"
	case http.StatusForbidden:
		hint = " (the token needs read:resource_servers, read:clients, read:client_keys and read:client_grants)"
	}
	if msg == "" {
		return fmt.Errorf("HTTP %d%s", status, hint)
	}
	return fmt.Errorf("HTTP %d: %s%s", status, strconv.Quote(msg), hint)
}

func (m *Management) httpClient() *http.Client {
	if m.HTTP != nil {
		return m.HTTP
	}
	return &http.Client{Timeout: requestTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return errors.New("the Management API answered with a redirect, not followed")
	}}
}

func (m *Management) maxBody() int64 {
	if m.MaxBody > 0 {
		return m.MaxBody
	}
	return DefaultMaxBody
}

func (m *Management) maxWait() time.Duration {
	if m.MaxWait > 0 {
		return m.MaxWait
	}
	return DefaultMaxWait
}

func (m *Management) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Management) sleep(ctx context.Context, d time.Duration) error {
	if m.Sleep != nil {
		return m.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
