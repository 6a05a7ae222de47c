package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/client"
	"golang.org/x/oauth2"
)

// A token endpoint speaking the default JSON dialect, for the example to run.
func newTokenEndpoint() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"eyJ0eXAi…","token_type":"Bearer","expires_in":86400}`)
	}))
}

func ExampleConfig_TokenSource() {
	srv := newTokenEndpoint()
	defer srv.Close()

	cfg := &client.Config{
		TokenURL:     srv.URL + "/oauth/token",
		ClientID:     "G99j845dM4MtckQlKt8E6o",
		ClientSecret: "-mMElVOMzvht2SyQPfVh",
		Audience:     "https://dataloy.internal",
	}
	tok, err := cfg.TokenSource(context.Background()).Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type(), tok.ExpiresIn)
	// Output: Bearer 86400
}

// Client is the usual way in: its requests carry the token, and a token
// the API refuses as expired is replaced once.
func ExampleConfig_Client() {
	cfg := &client.Config{
		TokenURL:     "https://auth.example.com/oauth/token",
		ClientID:     "CLIENT_ID",
		ClientSecret: "CLIENT_SECRET",
		Audience:     "https://api.example.com",
		Scopes:       []string{"cargo:read"},
	}
	resp, err := cfg.Client(context.Background()).Get("https://api.example.com/ws/rest/Cargo")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// The token source plugs into golang.org/x/oauth2 as well.
func ExampleConfig_TokenSource_oauth2() {
	ctx := context.Background()
	cfg := &client.Config{
		TokenURL:     "https://auth.example.com/token",
		ClientID:     "CLIENT_ID",
		ClientSecret: "CLIENT_SECRET",
		Style:        client.StyleFormBasic,
	}
	hc := oauth2.NewClient(ctx, cfg.TokenSource(ctx))
	_, _ = hc.Get("https://api.example.com/")
}

// Failures of the token endpoint are *client.Error values with the
// RFC 6749 §5.2 fields.
func ExampleError() {
	cfg := &client.Config{TokenURL: "https://auth.example.com/oauth/token", ClientID: "id", ClientSecret: "old"}
	_, err := cfg.TokenSource(context.Background()).Token()
	var e *client.Error
	if errors.As(err, &e) && e.Code == "invalid_client" {
		log.Fatalf("credentials refused (HTTP %d): %s", e.StatusCode, e.Description)
	}
}

// With DPoP, tokens are bound to a key the client holds (RFC 9449): every
// token request and API call carries a proof signed with it, and a token
// stolen from a log is useless without the key. The SDK answers the
// server's nonce challenges itself.
func ExampleConfig_dPoP() {
	prover, err := dpop.GenerateProver() // or dpop.NewProver with a key of your own
	if err != nil {
		log.Fatal(err)
	}
	cfg := &client.Config{
		TokenURL:     "https://auth.example.com/oauth/token",
		ClientID:     "CLIENT_ID",
		ClientSecret: "CLIENT_SECRET",
		Audience:     "https://api.example.com",
		DPoP:         prover,
	}
	hc := cfg.Client(context.Background())
	_ = hc // hc.Get("https://api.example.com/cargo") sends "Authorization: DPoP …" and a DPoP proof
	fmt.Println(len(prover.JKT()))
	// Output: 43
}
