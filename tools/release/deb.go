package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// Where the .deb installs mint; the test of the package and docs/release.md
// name the same paths.
const (
	debBinary  = "/usr/bin/mint"
	debUnit    = "/lib/systemd/system/mint.service" // where Debian 12 and Ubuntu look first
	debEnvFile = "/etc/default/mint"
)

// debDir holds the unit, the environment file and the maintainer scripts,
// relative to the checkout's root.
const debDir = "tools/release/deb"

// debInfo describes the mint package for one architecture: the binary, a
// systemd unit running `mint serve` as the user mint, its settings file
// (a conffile, root's alone since it may hold the bootstrap secret or the
// master key), and the scripts that create and purge the user and
// /var/lib/mint.
func debInfo(root, bin string, t target, s source) *nfpm.Info {
	pkg := func(name string) string { return filepath.Join(root, debDir, name) }
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode}}
	}
	conffile := file(pkg("mint.default"), debEnvFile, 0o600)
	conffile.Type = files.TypeConfigNoReplace
	return &nfpm.Info{
		Name:       "mint",
		Arch:       t.arch,
		Platform:   "linux",
		Version:    s.version,
		Release:    "1",
		Section:    "net",
		Priority:   "optional",
		Maintainer: "The mint authors <security@mintauth.dev>",
		Description: "OAuth 2.0 token server for machine-to-machine APIs\n" +
			"mint issues short-lived JWT access tokens to programs that present a client\n" +
			"id and secret (or a signed assertion), and publishes the keys APIs verify\n" +
			"them with. This package runs `mint serve` under systemd as the user mint,\n" +
			"with its state in /var/lib/mint.",
		Homepage: "https://github.com/mintauth/mint",
		License:  "Apache-2.0",
		MTime:    s.date,
		Overridables: nfpm.Overridables{
			Depends: []string{"passwd"}, // useradd, groupadd, userdel
			Contents: files.Contents{
				file(bin, debBinary, 0o755),
				file(pkg("mint.service"), debUnit, 0o644),
				conffile,
				file(filepath.Join(root, "LICENSE"), "/usr/share/doc/mint/copyright", 0o644),
				file(filepath.Join(root, "README.md"), "/usr/share/doc/mint/README.md", 0o644),
				file(filepath.Join(root, "CHANGELOG.md"), "/usr/share/doc/mint/CHANGELOG.md", 0o644),
			},
			Scripts: nfpm.Scripts{
				PostInstall: pkg("postinst"),
				PreRemove:   pkg("prerm"),
				PostRemove:  pkg("postrm"),
			},
		},
	}
}

// debPackage writes the .deb for t into dist and returns its file name,
// mint_1.2.3-1_amd64.deb.
func debPackage(root, dist, bin string, t target, s source) (name string, err error) {
	info := nfpm.WithDefaults(debInfo(root, bin, t, s))
	if err := nfpm.Validate(info); err != nil {
		return "", err
	}
	packager, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	name = packager.ConventionalFileName(info)
	f, err := os.Create(filepath.Join(dist, name))
	if err != nil {
		return "", err
	}
	defer closeInto(f, &err)
	if err := packager.Package(info, f); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return name, nil
}
