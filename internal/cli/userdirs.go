package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// The CLI's files live where the platform keeps a user's configuration and
// caches, found through getenv rather than os.UserConfigDir so that a run
// (and a test) sees only the environment it is given. An empty path means
// "none": the environment names no home.

// configDir is $XDG_CONFIG_HOME/mint, else ~/.config/mint (as gh and
// kubectl-style tools do on macOS too), %AppData%\mint on Windows.
func configDir(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "mint")
	}
	if runtime.GOOS == "windows" {
		return under(getenv("AppData"), "mint")
	}
	return under(getenv("HOME"), ".config", "mint")
}

// cacheDir is os.UserCacheDir()/mint, read through getenv.
func cacheDir(getenv func(string) string) string {
	switch runtime.GOOS {
	case "windows":
		return under(getenv("LocalAppData"), "mint")
	case "darwin", "ios":
		return under(getenv("HOME"), "Library", "Caches", "mint")
	}
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "mint")
	}
	return under(getenv("HOME"), ".cache", "mint")
}

func under(base string, elem ...string) string {
	if !filepath.IsAbs(base) {
		return ""
	}
	return filepath.Join(append([]string{base}, elem...)...)
}

// privateDir creates dir (and its parents) mode 0700 if needed, and checks
// that no one but its owner can write to it: the files in it hold secrets,
// and whoever can write to the directory can replace them.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return checkDir(dir, info)
}

// checkDir refuses a directory others can write to.
func checkDir(dir string, info fs.FileInfo) error {
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s has mode %04o: others can write to it (chmod go-w it)", dir, info.Mode().Perm())
	}
	return nil
}

// errShared: a file holding a secret that others can read.
var errShared = errors.New("others can read it")

// checkPrivate refuses a file whose mode lets its group or
// others in. Windows has no such mode bits; its profile directories are
// private by their ACLs.
func checkPrivate(path string, info fs.FileInfo) error {
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o: %w (chmod go-rwx it)", path, info.Mode().Perm(), errShared)
	}
	return nil
}

// writePrivate writes data to path, mode 0600, replacing it at once (a
// reader never sees half a file), in a private directory.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := privateDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// readPrivate reads a file that holds a secret, refusing one that others
// can read or that sits in a directory others can write to.
func readPrivate(path string) ([]byte, error) {
	if info, err := os.Stat(filepath.Dir(path)); err == nil {
		if err := checkDir(filepath.Dir(path), info); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkPrivate(path, info); err != nil {
		return nil, err
	}
	return readAllLimited(f, 1<<20)
}
