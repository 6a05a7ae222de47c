package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// target is one platform of a release.
type target struct{ os, arch string }

func (t target) String() string { return t.os + "/" + t.arch }
func (t target) dir() string    { return t.os + "_" + t.arch }

func (t target) exe() string {
	if t.os == "windows" {
		return "mint.exe"
	}
	return "mint"
}

// supported keeps the release to platforms the rest of the recipe knows:
// the archive format, the .exe suffix and the .deb architectures.
var supported = []string{"linux", "darwin", "windows"}

func parseTargets(s string) ([]target, error) {
	var out []target
	for _, part := range strings.Split(s, ",") {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(part), "/")
		if !ok || !slices.Contains(supported, goos) || (goarch != "amd64" && goarch != "arm64") {
			return nil, fmt.Errorf("target %q: want GOOS/GOARCH with GOOS one of %v and GOARCH amd64 or arm64", part, supported)
		}
		t := target{goos, goarch}
		if slices.Contains(out, t) {
			return nil, fmt.Errorf("target %s given twice", t)
		}
		out = append(out, t)
	}
	return out, nil
}

const buildinfoPkg = "github.com/mintauth/mint/internal/buildinfo"

// ldflags strip the symbol table and stamp what internal/buildinfo reports
// (mint version); -buildid= keeps the bytes a function of the source.
func ldflags(s source) string {
	return strings.Join([]string{
		"-s", "-w", "-buildid=",
		"-X", buildinfoPkg + ".version=" + s.version,
		"-X", buildinfoPkg + ".commit=" + s.commit,
		"-X", buildinfoPkg + ".date=" + s.date.Format(time.RFC3339),
	}, " ")
}

// build cross-compiles cmd/mint for t into dir, without cgo, with paths
// trimmed, and returns the binary's path.
func build(ctx context.Context, root, dir string, t target, s source) (string, error) {
	out := filepath.Join(dir, t.exe())
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags(s), "-o", out, "./cmd/mint")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.os, "GOARCH="+t.arch, "GOWORK=off")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build for %s: %w", t, err)
	}
	if err := checkStamped(out, s); err != nil {
		return "", err
	}
	if t.os == "linux" {
		if err := checkStatic(out); err != nil {
			return "", err
		}
	}
	return out, nil
}

// checkStamped makes sure the linker set the version and commit: -X names
// a variable by its package path, and a renamed package, or one no longer
// linked into mint, is skipped without a word.
func checkStamped(path string, s source) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, v := range []string{s.version, s.commit} {
		if !bytes.Contains(b, []byte(v)) {
			return fmt.Errorf("%s does not carry %q: the -X flags of %s missed (is it still linked into cmd/mint?)", path, v, buildinfoPkg)
		}
	}
	return nil
}

// checkStatic makes sure a Linux binary needs no dynamic loader or shared
// library, so that it runs on any distribution (and in an empty container).
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			return fmt.Errorf("%s is dynamically linked (was cgo enabled?)", path)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v", path, libs)
	}
	return nil
}
