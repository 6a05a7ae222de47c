package cli

import (
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/mintauth/mint/internal/policy"
)

// policyFlags are --policy and --policy-file, which APIs and clients take
// (docs/policies.md).
type policyFlags struct {
	text, file string
}

func (f *policyFlags) register(fs *pflag.FlagSet, of string) {
	fs.StringVar(&f.text, "policy", "", "the "+of+"'s issuance `policy` in CEL (docs/policies.md); \"\" removes it")
	fs.StringVar(&f.file, "policy-file", "", "a `file` holding the "+of+"'s issuance policy")
}

// addTo puts the policy given, if any, into an admin request body as
// "policy". The server compiles it and answers CEL's error.
func (f *policyFlags) addTo(c *call, body map[string]any) error {
	switch {
	case c.fs.Changed("policy") && c.fs.Changed("policy-file"):
		return usagef(c.cmd, "give --policy or --policy-file, not both")
	case c.fs.Changed("policy"):
		body["policy"] = f.text
	case c.fs.Changed("policy-file"):
		data, err := os.ReadFile(f.file)
		if err != nil {
			return usagef(c.cmd, "--policy-file: %v", err)
		}
		body["policy"] = strings.TrimSpace(string(data))
	}
	return nil
}

// metadataFlag is --metadata key=value, repeated.
type metadataFlag struct{ pairs []string }

func (f *metadataFlag) register(fs *pflag.FlagSet, replaces bool) {
	usage := "a `key=value` of the client's metadata, which policies read; repeat it for more"
	if replaces {
		usage += "; the keys given replace all the client's metadata, --metadata= alone removes it"
	}
	fs.StringArrayVar(&f.pairs, "metadata", nil, usage)
}

// addTo puts the metadata given, if any, into an admin request body,
// refusing a malformed pair before anything is sent.
func (f *metadataFlag) addTo(c *call, body map[string]any) error {
	if !c.fs.Changed("metadata") {
		return nil
	}
	if len(f.pairs) == 1 && f.pairs[0] == "" {
		body["metadata"] = map[string]string{}
		return nil
	}
	m, err := policy.ParseMetadataPairs(f.pairs)
	if err != nil {
		return usagef(c.cmd, "--metadata: %v", err)
	}
	body["metadata"] = m
	return nil
}

// metadataRows shows metadata as one row per key, sorted.
func metadataRows(w *tabwriter.Writer, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		row(w, "metadata."+k, m[k])
	}
}

// policyRow shows a policy on one line.
func policyRow(w *tabwriter.Writer, src string) {
	if src != "" {
		row(w, "policy", strings.Join(strings.Fields(src), " "))
	}
}
