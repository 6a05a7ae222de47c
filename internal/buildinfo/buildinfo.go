// Package buildinfo says which mint this is: the version, commit and build
// date a release stamps in with linker flags, or else what the Go toolchain
// recorded (a module version for `go install …@v1.2.3`, the VCS revision
// for a build in a checkout).
//
// A release sets them with
//
//	-ldflags "-X github.com/mintauth/mint/internal/buildinfo.version=v1.2.3
//	          -X github.com/mintauth/mint/internal/buildinfo.commit=<sha>
//	          -X github.com/mintauth/mint/internal/buildinfo.date=<RFC 3339>"
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker in release builds; empty otherwise.
var version, commit, date string

// Info describes one build of mint.
type Info struct {
	Version   string `json:"version"`    // "v1.2.3", "(devel)" for a checkout build
	Commit    string `json:"commit"`     // full VCS revision, "" when unknown
	Date      string `json:"date"`       // build or commit time, RFC 3339, "" when unknown
	Modified  bool   `json:"modified"`   // built from a checkout with uncommitted changes
	GoVersion string `json:"go_version"` // the toolchain that built it
}

// Read returns this binary's Info: the linker's values where set, the
// toolchain's build information for the rest.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuild(bi, version, commit, date)
}

func fromBuild(bi *debug.BuildInfo, version, commit, date string) Info {
	info := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi == nil {
		if info.Version == "" {
			info.Version = "(unknown)"
		}
		return info
	}
	info.GoVersion = bi.GoVersion
	if info.Version == "" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	return info
}

// String is the one line `mint version` prints.
func (i Info) String() string {
	s := "mint " + i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if i.Modified {
			s += ", modified"
		}
		s += ")"
	}
	if i.Date != "" {
		s += " built " + i.Date
	}
	return fmt.Sprintf("%s %s", s, i.GoVersion)
}
