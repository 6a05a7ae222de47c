// Package cargo is the example API of mint's README: a read-only API in the
// style of seed 003's (GET /ws/rest/{Resource}?filter=FIELD(OP)VALUE over a
// few in-memory rows) that accepts only mint's access tokens for its
// audience carrying the read:cargo scope (RFC 6750, RFC 9068), checked by
// package bearer. Every refusal, the bearer middleware's and its own, is
// written in the seed's JSON shape by bearer.WriteFailure.
package cargo

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/oauth"
)

// Scope is the scope every route requires.
const Scope = "read:cargo"

//go:embed data.json
var dataJSON []byte

// resources are the rows of each resource, as decoded JSON values.
var resources = func() map[string][]any {
	var r map[string][]any
	if err := json.Unmarshal(dataJSON, &r); err != nil {
		panic(err)
	}
	return r
}()

// Config is how the API checks tokens.
type Config struct {
	// Issuer is mint's issuer URL, the "iss" every token must carry.
	Issuer string
	// Audience is this API's audience, such as https://dataloy.
	Audience string
	// Keys finds mint's public keys: a bearer.JWKS in production.
	Keys bearer.KeySource
	// Leeway absorbs clock skew when checking exp; zero means
	// bearer.DefaultLeeway.
	Leeway time.Duration
	// Now is the clock for token times and the "date" of refusals; nil
	// means time.Now.
	Now func() time.Time
}

// Handler returns the API: every request needs a valid token with Scope.
func Handler(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &bearer.Verifier{
		Issuer: cfg.Issuer, Audiences: []string{cfg.Audience}, Keys: cfg.Keys,
		Leeway: cfg.Leeway, Now: cfg.Now,
	}
	api := &api{now: cfg.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/rest/{resource}", api.list)
	mw := bearer.Middleware(v, bearer.WithClock(cfg.Now))
	return mw(bearer.RequireScopes(Scope)(mux))
}

type api struct {
	now func() time.Time
}

// requestError is a request the API itself refuses: its status and the
// sentence of the "message" field.
type requestError struct {
	status  int
	message string
}

func (e *requestError) Error() string { return e.message }

func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// list answers GET /ws/rest/{resource} with the rows that pass every
// filter parameter.
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	rows, rerr := query(r.PathValue("resource"), r.URL.Query()["filter"])
	if rerr != nil {
		bearer.WriteFailure(w, r, &bearer.Failure{
			Status: rerr.status, Message: rerr.message, Date: a.now(),
			URI: bearer.RequestURL(r, false), Err: rerr,
		})
		return
	}
	oauth.WriteJSON(w, http.StatusOK, rows)
}

// query returns the rows of resource that match every filter.
func query(resource string, filters []string) ([]any, *requestError) {
	all, ok := resources[resource]
	if !ok {
		return nil, &requestError{http.StatusNotFound, fmt.Sprintf("Resource %s not found.", resource)}
	}
	var fs []filter
	for _, s := range filters {
		f, err := parseFilter(s)
		if err != nil {
			return nil, badRequest("Filter %s invalid: %v.", s, err)
		}
		if len(valuesAt(all, f.path)) == 0 {
			return nil, badRequest("Filter %s invalid: %s has no field %s.", s, resource, strings.Join(f.path, "."))
		}
		fs = append(fs, f)
	}
	rows := []any{}
	for _, row := range all {
		if matchAll(fs, row) {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func matchAll(fs []filter, row any) bool {
	for _, f := range fs {
		if !f.match(row) {
			return false
		}
	}
	return true
}
