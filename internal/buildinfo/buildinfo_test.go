package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuild(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-06T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}
	for _, tc := range []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		want                  Info
		line                  string
	}{
		{"checkout build", vcs, "", "", "",
			Info{"(devel)", "0123456789abcdef0123", "2026-12-06T10:00:00Z", true, "go1.26.8"},
			"mint (devel) (commit 0123456789ab, modified) built 2026-12-06T10:00:00Z go1.26.8"},
		{"go install @version", installed, "", "", "",
			Info{Version: "v1.2.3", GoVersion: "go1.26.8"}, "mint v1.2.3 go1.26.8"},
		{"release: the linker wins", vcs, "v2.0.0", "feedface", "2026-12-01T00:00:00Z",
			Info{"v2.0.0", "feedface", "2026-12-01T00:00:00Z", true, "go1.26.8"},
			"mint v2.0.0 (commit feedface, modified) built 2026-12-01T00:00:00Z go1.26.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fromBuild(tc.bi, tc.version, tc.commit, tc.date)
			if got != tc.want {
				t.Errorf("fromBuild = %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.line {
				t.Errorf("String = %q, want %q", got.String(), tc.line)
			}
		})
	}
	if got := fromBuild(nil, "", "", ""); got.Version != "(unknown)" || !strings.HasPrefix(got.GoVersion, "go") {
		t.Errorf("without build info: %+v", got)
	}
}

func TestReadInThisBinary(t *testing.T) {
	if got := Read(); got.Version == "" || got.GoVersion == "" {
		t.Errorf("Read() = %+v, want a version and a Go version", got)
	}
}
