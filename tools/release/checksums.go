package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// checksumsName is the checksums file of a release: mint_1.2.3_checksums.txt.
func checksumsName(s source) string {
	return "mint_" + strings.TrimPrefix(s.version, "v") + "_checksums.txt"
}

// writeChecksums writes the SHA-256 of each file in dist named in files, in
// the format of sha256sum (so `sha256sum -c` checks it), sorted by name,
// and returns the checksums file's name.
func writeChecksums(dist string, s source, files []string) (string, error) {
	files = slices.Sorted(slices.Values(files))
	var b strings.Builder
	for _, name := range files {
		sum, err := sha256File(filepath.Join(dist, name))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	name := checksumsName(s)
	return name, os.WriteFile(filepath.Join(dist, name), []byte(b.String()), 0o644)
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
