package apply

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/mint"
)

// Config is what a set of files declares, checked on its own (Load); the
// checks against the store come with the plan (MakePlan).
type Config struct {
	APIs    []at[API]
	Clients []at[Client]
	Grants  []at[Grant]
	// jwks holds each client's JWK Set as the store keeps it, by client
	// ID, once checked.
	jwks map[string][]byte
}

// Load reads the files at paths, each a YAML file or a directory whose
// *.yaml and *.yml files (not those in subdirectories, nor hidden ones) are
// read in name order, and checks them together. Its error is Problems, or
// a failure to read.
func Load(paths ...string) (*Config, error) {
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	cfg := &Config{jwks: map[string][]byte{}}
	var problems Problems
	for _, name := range files {
		data, err := readFile(name)
		if err != nil {
			return nil, err
		}
		doc, src := decodeFile(name, data, &problems)
		cfg.add(doc, src)
	}
	if len(problems) == 0 {
		cfg.check(&problems)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return cfg, nil
}

// LoadBytes is Load of one file's contents, named name in problems.
func LoadBytes(name string, data []byte) (*Config, error) {
	cfg := &Config{jwks: map[string][]byte{}}
	var problems Problems
	doc, src := decodeFile(name, data, &problems)
	cfg.add(doc, src)
	if len(problems) == 0 {
		cfg.check(&problems)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return cfg, nil
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, 0, 4096)
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		data = append(data, buf[:n]...)
		if len(data) > maxFileBytes {
			return nil, fmt.Errorf("%s: larger than %d MiB", name, maxFileBytes>>20)
		}
		if err != nil {
			break
		}
	}
	return data, nil
}

// expand turns directories into the YAML files in them.
func expand(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no file given")
	}
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		n := len(files)
		for _, e := range entries {
			name := e.Name()
			ext := filepath.Ext(name)
			if e.Type().IsRegular() && !strings.HasPrefix(name, ".") && (ext == ".yaml" || ext == ".yml") {
				files = append(files, filepath.Join(p, name))
			}
		}
		if len(files) == n {
			return nil, fmt.Errorf("%s: no .yaml or .yml file in the directory", p)
		}
	}
	return files, nil
}

func (cfg *Config) add(doc Document, src *source) {
	for i, v := range doc.APIs {
		cfg.APIs = append(cfg.APIs, at[API]{V: v, src: src, path: fmt.Sprintf("apis[%d]", i)})
	}
	for i, v := range doc.Clients {
		cfg.Clients = append(cfg.Clients, at[Client]{V: v, src: src, path: fmt.Sprintf("clients[%d]", i)})
	}
	for i, v := range doc.Grants {
		cfg.Grants = append(cfg.Grants, at[Grant]{V: v, src: src, path: fmt.Sprintf("grants[%d]", i)})
	}
}

// report adds p unless maxErrors are there already.
func report(problems *Problems, p Problem) {
	if len(*problems) < maxErrors {
		*problems = append(*problems, p)
	}
}

// check applies the admin API's rules to each resource and refuses one
// declared twice.
func (cfg *Config) check(problems *Problems) {
	apis := map[string]at[API]{}
	for _, a := range cfg.APIs {
		v := a.V
		if err := admin.CheckAPI(v.Name, v.Audience, v.Scopes, v.TokenLifetime, v.SigningAlg, v.AuditIssuance); err != nil {
			report(problems, a.problem(fieldOf(err), "%s", describe(err)))
		}
		if err := admin.CheckPolicy(v.Policy); err != nil {
			report(problems, a.problem("policy", "%s", describe(err)))
		}
		if err := admin.CheckTokenBinding(v.TokenBinding); err != nil {
			report(problems, a.problem("token_binding", "%s", describe(err)))
		}
		if first, ok := apis[v.Audience]; ok {
			report(problems, a.problem("audience", "the API %q is declared twice (first at %s)", v.Audience, first.where()))
			continue
		}
		apis[v.Audience] = a
	}
	clients := map[string]at[Client]{}
	for _, c := range cfg.Clients {
		cfg.checkClient(c, problems)
		if first, ok := clients[c.V.ID]; ok {
			report(problems, c.problem("id", "the client %q is declared twice (first at %s)", c.V.ID, first.where()))
			continue
		}
		clients[c.V.ID] = c
	}
	grants := map[[2]string]at[Grant]{}
	for _, g := range cfg.Grants {
		v := g.V
		if v.Client == "" {
			report(problems, g.problem("client", "client is required: the id of the client"))
		}
		if v.Audience == "" {
			report(problems, g.problem("audience", "audience is required: the audience of the API"))
		}
		if err := admin.CheckScopes(v.Scopes); err != nil {
			report(problems, g.problem("scopes", "%s", describe(err)))
		}
		key := [2]string{v.Client, v.Audience}
		if first, ok := grants[key]; ok {
			report(problems, g.problem("", "the grant of %q on %q is declared twice (first at %s)", v.Client, v.Audience, first.where()))
			continue
		}
		grants[key] = g
	}
}

func (cfg *Config) checkClient(c at[Client], problems *Problems) {
	v := c.V
	if err := mint.CheckImportedID(v.ID); err != nil {
		report(problems, c.problem("id", "%v", err))
	}
	if err := admin.CheckClient(v.Name, v.TokensPerHour, v.TokensPerDay); err != nil {
		report(problems, c.problem(fieldOf(err), "%s", describe(err)))
	}
	if err := admin.CheckMetadata(v.Metadata); err != nil {
		report(problems, c.problem("metadata", "%s", describe(err)))
	}
	if err := admin.CheckPolicy(v.Policy); err != nil {
		report(problems, c.problem("policy", "%s", describe(err)))
	}
	if err := admin.CheckTokenBinding(v.TokenBinding); err != nil {
		report(problems, c.problem("token_binding", "%s", describe(err)))
	}
	checkRules(c, problems)
	jwksOK := cfg.checkJWKS(c, problems)
	if jwksOK || !v.SelfSignedTLS {
		checkTLSAuth(c, cfg.jwks[v.ID], problems)
	}
}

// checkJWKS checks the client's key set and keeps it as the store would;
// false when it is refused.
func (cfg *Config) checkJWKS(c at[Client], problems *Problems) bool {
	if c.V.JWKS == nil {
		return true
	}
	raw, err := json.Marshal(c.V.JWKS)
	if err != nil {
		report(problems, c.problem("jwks", "jwks cannot be read as JSON: %v", err))
		return false
	}
	stored, err := admin.CheckJWKS(raw)
	if err != nil {
		report(problems, c.problem("jwks", "%s", describe(err)))
		return false
	}
	cfg.jwks[c.V.ID] = stored
	return true
}

// desiredAPI is the API a file declares, as the store would keep it, with
// the admin API's defaults for absent fields.
func desiredAPI(v API) mint.API {
	api := mint.API{Name: v.Name, Audience: v.Audience, Scopes: nonNil(v.Scopes),
		TokenLifetime: mint.DefaultTokenLifetime, SigningAlg: v.SigningAlg, AuditIssuance: v.AuditIssuance,
		TokenReuse: v.TokenReuse, Policy: v.Policy, TokenBinding: v.TokenBinding}
	if v.TokenLifetime != nil {
		api.TokenLifetime = time.Duration(*v.TokenLifetime) * time.Second
	}
	if api.SigningAlg == "" {
		api.SigningAlg = mint.AlgRS256
	}
	if api.AuditIssuance == "" {
		api.AuditIssuance = mint.AuditAll
	}
	return api
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
