package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SecretPlaceholder stands in for the client secret in every snippet: the
// console never shows a stored secret (mint keeps only digests) and never
// puts one into copyable code.
const SecretPlaceholder = "YOUR_CLIENT_SECRET"

// snippetInput is what a token request snippet names.
type snippetInput struct {
	TokenURL, ClientID, Audience string
}

// snippet is the code of one language, ready to paste.
type snippet struct {
	ID, Label, Code string
}

// snippets writes the token request in the seed pages' languages and with
// the Go SDK. Every value is quoted for its language, so an audience with
// quotes, dollars or backslashes is sent as it is.
func snippets(in snippetInput) []snippet {
	return []snippet{
		{"curl", "curl", curlSnippet(in)},
		{"python", "Python (requests)", pythonSnippet(in)},
		{"ruby", "Ruby (Net::HTTP)", rubySnippet(in)},
		{"php", "PHP (curl)", phpSnippet(in)},
		{"go", "Go (mint's client package)", goSnippet(in)},
	}
}

// tokenRequest is the JSON body, in the seed pages' field order.
type tokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Audience     string `json:"audience"`
	GrantType    string `json:"grant_type"`
}

// jsonText encodes v without HTML escaping (the page escapes for HTML).
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // strings and a struct of strings never fail
	return strings.TrimSuffix(b.String(), "\n")
}

// shellQuote quotes s for a POSIX shell: in single quotes, each ' as '\”.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// pythonString is a JSON string, which is also a Python string literal.
func pythonString(s string) string { return jsonText(s) }

// rubyString is a double-quoted Ruby literal: JSON's escapes are Ruby's,
// and # is escaped so that "#{…}" is not interpolated.
func rubyString(s string) string { return strings.ReplaceAll(jsonText(s), "#", `\#`) }

// phpString is a double-quoted PHP literal: \, " and $ escaped, control
// characters as \xHH.
func phpString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"' || c == '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02X`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func request(in snippetInput) tokenRequest {
	return tokenRequest{ClientID: in.ClientID, ClientSecret: SecretPlaceholder, Audience: in.Audience, GrantType: "client_credentials"}
}

func curlSnippet(in snippetInput) string {
	return "curl --request POST \\\n" +
		"  --url " + shellQuote(in.TokenURL) + " \\\n" +
		"  --header 'content-type: application/json' \\\n" +
		"  --data " + shellQuote(jsonText(request(in))) + "\n"
}

func pythonSnippet(in snippetInput) string {
	return `import requests

response = requests.post(
    ` + pythonString(in.TokenURL) + `,
    json={
        "client_id": ` + pythonString(in.ClientID) + `,
        "client_secret": ` + pythonString(SecretPlaceholder) + `,
        "audience": ` + pythonString(in.Audience) + `,
        "grant_type": "client_credentials",
    },
    timeout=10,
)
response.raise_for_status()
access_token = response.json()["access_token"]
print(access_token)
`
}

func rubySnippet(in snippetInput) string {
	return `require "uri"
require "net/http"
require "json"

url = URI(` + rubyString(in.TokenURL) + `)

http = Net::HTTP.new(url.host, url.port)
http.use_ssl = url.scheme == "https"

request = Net::HTTP::Post.new(url)
request["Content-Type"] = "application/json"
payload = {
  client_id: ` + rubyString(in.ClientID) + `,
  client_secret: ` + rubyString(SecretPlaceholder) + `,
  audience: ` + rubyString(in.Audience) + `,
  grant_type: "client_credentials"
}
request.body = JSON.generate(payload)
response = http.request(request)

response_payload = JSON.parse(response.read_body)

puts "access_token #{response_payload['access_token']}"
puts "expires in #{response_payload['expires_in']} seconds"
`
}

func phpSnippet(in snippetInput) string {
	return `<?php

$curl = curl_init();
$payload = [
  "client_id" => ` + phpString(in.ClientID) + `,
  "client_secret" => ` + phpString(SecretPlaceholder) + `,
  "audience" => ` + phpString(in.Audience) + `,
  "grant_type" => "client_credentials",
];

curl_setopt_array($curl, [
  CURLOPT_URL => ` + phpString(in.TokenURL) + `,
  CURLOPT_RETURNTRANSFER => true,
  CURLOPT_MAXREDIRS => 10,
  CURLOPT_TIMEOUT => 10,
  CURLOPT_HTTP_VERSION => CURL_HTTP_VERSION_1_1,
  CURLOPT_CUSTOMREQUEST => "POST",
  CURLOPT_POSTFIELDS => json_encode($payload),
  CURLOPT_HTTPHEADER => [
    "Content-Type: application/json"
  ],
]);

$response = curl_exec($curl);
$responsePayload = json_decode($response, true);

echo "access_token {$responsePayload['access_token']}" . PHP_EOL;
echo "expires in {$responsePayload['expires_in']} seconds" . PHP_EOL;
`
}

func goSnippet(in snippetInput) string {
	return `package main

import (
	"context"
	"fmt"
	"log"

	"github.com/mintauth/mint/client"
)

func main() {
	cfg := &client.Config{
		TokenURL:     ` + strconv.Quote(in.TokenURL) + `,
		ClientID:     ` + strconv.Quote(in.ClientID) + `,
		ClientSecret: ` + strconv.Quote(SecretPlaceholder) + `, // read it from your secret store
		Audience:     ` + strconv.Quote(in.Audience) + `,
	}
	// The token is cached and renewed before it expires: keep cfg's
	// TokenSource (or cfg.Client) for the life of the program.
	tok, err := cfg.TokenSource(context.Background()).Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.AccessToken)
}
`
}
