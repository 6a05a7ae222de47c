package bearer_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
)

// An API that needs a token from mint on every route, and the write:cargo
// scope to change cargo.
func ExampleMiddleware() {
	ctx := context.Background()
	keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{Issuer: "https://mint.example"})
	if err != nil {
		log.Fatal(err)
	}
	v := &bearer.Verifier{Issuer: "https://mint.example", Audiences: []string{"https://dataloy.internal"}, Keys: keys}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/rest/Cargo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "cargo for %s\n", bearer.ClientID(r.Context()))
	})
	mux.Handle("POST /ws/rest/Cargo", bearer.RequireScopes("write:cargo")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })))

	handler := bearer.Middleware(v, bearer.WithRealm("dataloy"))(mux)
	_ = http.ListenAndServe // e.g. http.ListenAndServe("127.0.0.1:8080", handler)
	_ = handler
}

// During a migration from Auth0, an API that accepts tokens from the old
// tenant and from mint, each checked against its own issuer's keys.
func ExampleTrustedIssuer() {
	ctx := context.Background()
	mintKeys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{Issuer: "https://mint.example"})
	if err != nil {
		log.Fatal(err)
	}
	// Auth0's issuer ends with a slash; "iss" is compared exactly.
	auth0Keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{Issuer: "https://tenant.eu.auth0.com/"})
	if err != nil {
		log.Fatal(err)
	}
	v := &bearer.Verifier{
		Audiences: []string{"https://dataloy.internal"},
		Issuers: []bearer.TrustedIssuer{
			{Issuer: "https://mint.example", Keys: mintKeys},
			// Auth0 signs access tokens RS256 with typ "JWT".
			{Issuer: "https://tenant.eu.auth0.com/", Keys: auth0Keys,
				Algorithms: []jose.SignatureAlgorithm{jose.RS256}, Types: []string{"JWT"}},
		},
	}
	handler := bearer.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := bearer.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s from %s\n", c.ClientID, c.Issuer)
	}))
	_ = handler
}
