package bearer_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

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
