package apply

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Issuance policies and client metadata in plans (docs/policies.md).

// metadataOf is metadata as the store keeps it: nil for none.
func metadataOf(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// showMetadata shows metadata as {k: "v", …}, keys sorted.
func showMetadata(m map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + ": " + strconv.Quote(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

func (f *fieldDiff) metadata(old, next map[string]string) {
	if f.create && len(next) == 0 || !f.create && maps.Equal(old, next) {
		return
	}
	f.add("metadata", showMetadata(old), showMetadata(next))
}

// policy shows a policy changed by its text, quoted: a plan reviewer reads
// what the token path will run. A create without one shows nothing.
func (f *fieldDiff) policy(old, next string) {
	if f.create && next == "" {
		return
	}
	f.str("policy", old, next)
}
