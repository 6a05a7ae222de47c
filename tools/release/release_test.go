package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNormalVersion(t *testing.T) {
	for _, tc := range []struct {
		in    string
		dirty bool
		want  string // "" for refused
	}{
		{"v1.2.3", false, "v1.2.3"},
		{"1.2.3", false, "v1.2.3"},
		{"v1.2.3-rc.1", false, "v1.2.3-rc.1"},
		{"v0.0.0-20261207000637-38e8181f693c", false, "v0.0.0-20261207000637-38e8181f693c"},
		{"v1.2.3", true, "v1.2.3+dirty"},
		{"v1.2.3+build.5", true, "v1.2.3+build.5.dirty"},
		{"v1.2", false, ""},
		{"v01.2.3", false, ""},
		{"v1.2.3-", false, ""},
		{"v1.2.3/../../etc", false, ""}, // names files in dist
		{"v1.2.3 ", false, ""},
		{"latest", false, ""},
		{"", false, ""},
	} {
		got, err := normalVersion(tc.in, tc.dirty)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("normalVersion(%q, %v) = %q, %v; want %q", tc.in, tc.dirty, got, err, tc.want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	got, err := parseTargets(defaultTargets)
	if err != nil || len(got) != 6 {
		t.Fatalf("the default targets: %v, %v", got, err)
	}
	for _, bad := range []string{"linux", "linux/386", "freebsd/amd64", "linux/amd64,linux/amd64", "", "linux/amd64,"} {
		if got, err := parseTargets(bad); err == nil {
			t.Errorf("parseTargets(%q) = %v, want an error", bad, got)
		}
	}
}

// TestArchivesReproducible: the same inputs and date give the same bytes,
// and each archive holds one top folder with the binary executable and
// the docs readable.
func TestArchivesReproducible(t *testing.T) {
	root := t.TempDir()
	for _, d := range docs {
		os.WriteFile(filepath.Join(root, d), []byte(d+" text\n"), 0o600) // the mode on disk must not leak in
	}
	bin := filepath.Join(root, "mint-binary")
	os.WriteFile(bin, []byte("\x7fELF not really"), 0o700)
	s := source{version: "v1.2.3", commit: strings.Repeat("ab", 20), date: time.Date(2026, 12, 7, 0, 6, 37, 0, time.UTC)}
	for _, tg := range []target{{"linux", "arm64"}, {"windows", "amd64"}} {
		var runs [2][]byte
		for i := range runs {
			dist := t.TempDir()
			name, err := archive(root, dist, bin, tg, s)
			if err != nil {
				t.Fatal(err)
			}
			if runs[i], err = os.ReadFile(filepath.Join(dist, name)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // a clock read anywhere would show
		}
		if !bytes.Equal(runs[0], runs[1]) {
			t.Errorf("%s: two archives of the same inputs differ", tg)
		}
		top := archiveBase(tg, s) + "/"
		want := fmt.Sprintf("%s%s 755 %v|%sLICENSE 644 %v|%sREADME.md 644 %v|%sCHANGELOG.md 644 %v|",
			top, tg.exe(), s.date, top, s.date, top, s.date, top, s.date)
		if got := listArchive(t, tg, runs[0]); got != want {
			t.Errorf("%s holds\n%s\nwant\n%s", tg, got, want)
		}
	}
}

// listArchive gives "name mode mtime|" for each file.
func listArchive(t *testing.T, tg target, b []byte) string {
	var out strings.Builder
	if tg.os == "windows" {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			fmt.Fprintf(&out, "%s %o %v|", f.Name, f.Mode().Perm(), f.Modified.UTC())
		}
		return out.String()
	}
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" {
			t.Errorf("%s belongs to %d/%d %s, want root", h.Name, h.Uid, h.Gid, h.Uname)
		}
		if h.Typeflag == tar.TypeReg {
			fmt.Fprintf(&out, "%s %o %v|", h.Name, h.Mode, h.ModTime.UTC())
		}
	}
}

// TestChecksums: sha256sum's format, sorted, one line per file, the right
// digests.
func TestChecksums(t *testing.T) {
	dist := t.TempDir()
	files := map[string]string{"mint_1.2.3_linux_amd64.tar.gz": "tar", "mint_1.2.3-1_amd64.deb": "deb"}
	for name, body := range files {
		os.WriteFile(filepath.Join(dist, name), []byte(body), 0o644)
	}
	s := source{version: "v1.2.3"}
	name, err := writeChecksums(dist, s, []string{"mint_1.2.3_linux_amd64.tar.gz", "mint_1.2.3-1_amd64.deb"})
	if err != nil || name != "mint_1.2.3_checksums.txt" {
		t.Fatalf("writeChecksums = %q, %v", name, err)
	}
	got, _ := os.ReadFile(filepath.Join(dist, name))
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	want := sum("deb") + "  mint_1.2.3-1_amd64.deb\n" + sum("tar") + "  mint_1.2.3_linux_amd64.tar.gz\n"
	if string(got) != want {
		t.Errorf("checksums file:\n%s\nwant\n%s", got, want)
	}
}

func TestEmptyDistRefusesForeignFiles(t *testing.T) {
	dist := t.TempDir()
	os.WriteFile(filepath.Join(dist, "mint_1.2.3_checksums.txt"), nil, 0o644)
	os.Mkdir(filepath.Join(dist, "build"), 0o755)
	if err := emptyDist(dist); err != nil {
		t.Fatalf("an earlier release: %v", err)
	}
	if _, err := os.Stat(dist); !os.IsNotExist(err) {
		t.Errorf("an earlier release is still there: %v", err)
	}
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "thesis.tex"), []byte("years of work"), 0o644)
	if err := emptyDist(home); err == nil {
		t.Error("emptyDist removed a folder holding a file no release made")
	}
	if _, err := os.Stat(filepath.Join(home, "thesis.tex")); err != nil {
		t.Errorf("the file is gone: %v", err)
	}
	if err := emptyDist(filepath.Join(home, "new")); err != nil {
		t.Errorf("a new folder: %v", err)
	}
}
