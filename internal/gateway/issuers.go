package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
)

// IssuerSpec is one issuer the gateway trusts: --issuer (repeatable) or
// MINT_GATEWAY_ISSUERS (";"-separated), written
//
//	URL [jwks=URL] [typ=TYPE,...] [alg=ALG,...]
//
// e.g. "https://tenant.eu.auth0.com/ typ=JWT alg=RS256" for an Auth0 tenant
// during a migration. URL is the tokens' "iss", matched exactly: Auth0's
// end with "/", mint's do not. Without jwks= the key set is discovered from
// URL (RFC 8414, then OpenID Connect discovery).
type IssuerSpec struct {
	URL        string
	JWKSURL    string                    // default discovered
	Types      []string                  // default bearer.AccessTokenTypes
	Algorithms []jose.SignatureAlgorithm // default bearer.DefaultAlgorithms
}

// signingAlgorithms are the algorithms alg= accepts: asymmetric only.
var signingAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// ParseIssuer parses an --issuer value (see IssuerSpec).
func ParseIssuer(s string) (IssuerSpec, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return IssuerSpec{}, errors.New("empty issuer")
	}
	spec := IssuerSpec{URL: fields[0]}
	if err := checkHTTPURL(spec.URL); err != nil {
		return IssuerSpec{}, fmt.Errorf("issuer %q: %w", spec.URL, err)
	}
	for _, f := range fields[1:] {
		if err := spec.set(f); err != nil {
			return IssuerSpec{}, fmt.Errorf("issuer %q: %w", spec.URL, err)
		}
	}
	return spec, nil
}

func (spec *IssuerSpec) set(attr string) error {
	name, value, _ := strings.Cut(attr, "=")
	if value == "" {
		return fmt.Errorf("%q: want jwks=URL, typ=TYPE,... or alg=ALG,...", attr)
	}
	switch name {
	case "jwks":
		spec.JWKSURL = value
		return checkHTTPURL(value)
	case "typ":
		spec.Types = strings.Split(value, ",")
	case "alg":
		for a := range strings.SplitSeq(value, ",") {
			alg := jose.SignatureAlgorithm(a)
			if !slices.Contains(signingAlgorithms, alg) {
				return fmt.Errorf("alg %q: want one of %v", a, signingAlgorithms)
			}
			spec.Algorithms = append(spec.Algorithms, alg)
		}
	default:
		return fmt.Errorf("%q: want jwks=URL, typ=TYPE,... or alg=ALG,...", attr)
	}
	return nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("not an http(s) URL")
	}
	return nil
}

// String is spec as --issuer takes it.
func (spec IssuerSpec) String() string {
	s := []string{spec.URL}
	if spec.JWKSURL != "" {
		s = append(s, "jwks="+spec.JWKSURL)
	}
	if len(spec.Types) > 0 {
		s = append(s, "typ="+strings.Join(spec.Types, ","))
	}
	if len(spec.Algorithms) > 0 {
		var algs []string
		for _, a := range spec.Algorithms {
			algs = append(algs, string(a))
		}
		s = append(s, "alg="+strings.Join(algs, ","))
	}
	return strings.Join(s, " ")
}

// ParseIssuers parses MINT_GATEWAY_ISSUERS: issuers separated by ";".
func ParseIssuers(s string) ([]IssuerSpec, error) {
	var specs []IssuerSpec
	for part := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		spec, err := ParseIssuer(part)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// issuerFlag is --issuer: the first one replaces the environment's issuers.
type issuerFlag struct {
	o   *Options
	set bool
}

func (f *issuerFlag) String() string {
	if f == nil || f.o == nil {
		return ""
	}
	var s []string
	for _, spec := range f.o.trusted() {
		s = append(s, spec.String())
	}
	return strings.Join(s, "; ")
}

func (f *issuerFlag) Set(v string) error {
	spec, err := ParseIssuer(v)
	if err != nil {
		return err
	}
	if !f.set {
		f.o.Issuer, f.o.Issuers, f.o.issuersErr, f.set = "", nil, nil, true
	}
	f.o.Issuers = append(f.o.Issuers, spec)
	return nil
}

// trusted are the issuers the options name: Issuers, or Issuer with
// JWKSURL. --jwks-url also serves a single entry of Issuers without jwks=.
func (o *Options) trusted() []IssuerSpec {
	if len(o.Issuers) == 0 {
		if o.Issuer == "" {
			return nil
		}
		return []IssuerSpec{{URL: o.Issuer, JWKSURL: o.JWKSURL}}
	}
	specs := slices.Clone(o.Issuers)
	if len(specs) == 1 && specs[0].JWKSURL == "" {
		specs[0].JWKSURL = o.JWKSURL
	}
	return specs
}

func (o *Options) issuerURLs() []string {
	var urls []string
	for _, spec := range o.trusted() {
		urls = append(urls, spec.URL)
	}
	return urls
}

func (o *Options) checkIssuers() error {
	if o.Issuer != "" && len(o.Issuers) > 0 {
		return errors.New("gateway: set Issuer or Issuers, not both")
	}
	if len(o.Issuers) > 1 && o.JWKSURL != "" {
		return errors.New("gateway: --jwks-url with several issuers: give each its jwks= instead")
	}
	seen := map[string]bool{}
	for _, spec := range o.Issuers {
		if seen[spec.URL] {
			return fmt.Errorf("gateway: issuer %q named twice", spec.URL)
		}
		seen[spec.URL] = true
	}
	return nil
}

// verifier builds the token check: the single-issuer form for one issuer,
// Verifier.Issuers, each with its own key set, for several.
func (o *Options) verifier(ctx context.Context) (*bearer.Verifier, error) {
	specs := o.trusted()
	var trusted []bearer.TrustedIssuer
	for _, spec := range specs {
		keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{URL: spec.JWKSURL, Issuer: spec.URL, Log: o.log()})
		if err != nil {
			return nil, err
		}
		trusted = append(trusted, bearer.TrustedIssuer{Issuer: spec.URL, Keys: keys, Algorithms: spec.Algorithms, Types: spec.Types})
	}
	v := &bearer.Verifier{Audiences: []string{o.Audience}}
	if len(trusted) == 1 {
		t := trusted[0]
		v.Issuer, v.Keys, v.Algorithms, v.Types = t.Issuer, t.Keys, t.Algorithms, t.Types
		return v, nil
	}
	v.Issuers = trusted
	return v, nil
}
