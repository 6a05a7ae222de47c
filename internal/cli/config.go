package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// config is the CLI's config file: servers and credentials, one context
// each, as kubectl keeps them. It holds client secrets: mode 0600 in a
// 0700 directory, and the CLI refuses to read it otherwise.
type config struct {
	CurrentContext string         `json:"current-context,omitempty"`
	Contexts       []contextEntry `json:"contexts"`
}

// contextEntry is one server and the credentials the CLI uses there.
type contextEntry struct {
	Name         string `json:"name"`
	Server       string `json:"server"`
	ClientID     string `json:"client-id"`
	ClientSecret string `json:"client-secret"`
}

// configPath is the config file: $MINT_CONFIG, else config.json in
// configDir; empty when the environment names neither.
func configPath(getenv func(string) string) string {
	if p := getenv("MINT_CONFIG"); p != "" {
		return p
	}
	if d := configDir(getenv); d != "" {
		return filepath.Join(d, "config.json")
	}
	return ""
}

// loadConfig reads the config file; a missing one is an empty config.
func loadConfig(path string) (*config, error) {
	cfg := &config{}
	if path == "" {
		return cfg, nil
	}
	data, err := readPrivate(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("config file: %v", err)}
	}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("config file %s: %v", path, err)}
	}
	return cfg, nil
}

func (cfg *config) save(path string) error {
	if path == "" {
		return &usageError{msg: "no place for the config file: set HOME, XDG_CONFIG_HOME or MINT_CONFIG"}
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(path, append(data, '\n'))
}

func (cfg *config) find(name string) *contextEntry {
	for i := range cfg.Contexts {
		if cfg.Contexts[i].Name == name {
			return &cfg.Contexts[i]
		}
	}
	return nil
}

// put adds or replaces the context called e.Name.
func (cfg *config) put(e contextEntry) {
	if old := cfg.find(e.Name); old != nil {
		*old = e
		return
	}
	cfg.Contexts = append(cfg.Contexts, e)
}

func (cfg *config) remove(name string) {
	out := cfg.Contexts[:0]
	for _, e := range cfg.Contexts {
		if e.Name != name {
			out = append(out, e)
		}
	}
	cfg.Contexts = out
	if cfg.CurrentContext == name {
		cfg.CurrentContext = ""
	}
}

// selectContext is the context a command uses: the one named by --context,
// else $MINT_CONTEXT, else the current one; nil when there is none. Naming
// a context that does not exist is a usage error.
func selectContext(getenv func(string) string, flag string) (*contextEntry, error) {
	name := firstSet(flag, getenv("MINT_CONTEXT"))
	path := configPath(getenv)
	if path == "" && name == "" {
		return nil, nil
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = cfg.CurrentContext
		if name == "" {
			return nil, nil
		}
	}
	e := cfg.find(name)
	if e == nil {
		return nil, &usageError{msg: fmt.Sprintf("no context %q in the config file (mint config get-contexts lists them)", name)}
	}
	return e, nil
}

func readAllLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("larger than %d bytes", max)
	}
	return data, err
}
