package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// source is what a release says about the code it was built from.
type source struct {
	version string    // semantic version with a leading v: v1.2.3, v1.2.3-rc.1
	commit  string    // full git revision
	date    time.Time // the commit's time, so that one commit always builds the same bytes
	dirty   bool      // built with uncommitted changes
}

// semver is Semantic Versioning 2.0.0 with Go's leading v.
var semver = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// readSource reads the commit, its time and the tree's state from git, and
// settles the version: the one given, else a v* tag on the commit, else a
// Go pseudo-version (v0.0.0-YYYYMMDDhhmmss-commit12).
func readSource(ctx context.Context, root, version string, allowDirty bool) (source, error) {
	var s source
	var err error
	if s.commit, err = git(ctx, root, "rev-parse", "--verify", "HEAD^{commit}"); err != nil {
		return s, fmt.Errorf("a release is built from a git checkout: %w", err)
	}
	if s.date, err = commitTime(ctx, root); err != nil {
		return s, err
	}
	status, err := git(ctx, root, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return s, err
	}
	s.dirty = status != ""
	if version == "" {
		version, _ = git(ctx, root, "describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD")
	} else if s.dirty && !allowDirty {
		return s, errors.New("the checkout has uncommitted changes; commit them, or pass --allow-dirty (the version then says +dirty)")
	}
	if version == "" {
		version = "v0.0.0-" + s.date.Format("20060102150405") + "-" + s.commit[:12]
	}
	if s.version, err = normalVersion(version, s.dirty); err != nil {
		return s, err
	}
	return s, nil
}

// normalVersion checks v and gives it a leading v, and +dirty when the tree
// is not the commit's.
func normalVersion(v string, dirty bool) (string, error) {
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.MatchString(v) {
		return "", fmt.Errorf("version %q is not a semantic version such as v1.2.3 or v1.2.3-rc.1", v)
	}
	if dirty {
		if strings.Contains(v, "+") {
			v += ".dirty"
		} else {
			v += "+dirty"
		}
	}
	return v, nil
}

// commitTime is SOURCE_DATE_EPOCH when set (the reproducible-builds
// convention), else the commit's time.
func commitTime(ctx context.Context, root string) (time.Time, error) {
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		sec, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	out, err := git(ctx, root, "log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return time.Time{}, err
	}
	sec, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("commit time %q: %w", out, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
