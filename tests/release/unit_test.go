package release

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// unit is the [Service] section of a systemd unit file: every value of
// each key, in order.
type unit map[string][]string

func readUnit(path string) (unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, section := unit{}, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		case strings.HasSuffix(line, `\`):
			return nil, fmt.Errorf("%s: continued lines are not read by this test: %q", path, line)
		case section == "Service":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s: %q is not KEY=VALUE", path, line)
			}
			u[strings.TrimSpace(k)] = append(u[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u, sc.Err()
}

// one is the single value of key, "" when unset.
func (u unit) one(key string) (string, error) {
	switch v := u[key]; len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	default:
		return "", fmt.Errorf("%s= is set %d times", key, len(v))
	}
}

// readEnvFile reads KEY=VALUE lines as systemd's EnvironmentFile= does for
// the simple forms: comments, blank lines, optional quotes; a later line
// wins.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not KEY=VALUE", path, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[strings.TrimSpace(k)] = v
	}
	return env, nil
}

// command is what systemd would run for u's ExecStart, as far as it can
// be done without systemd: the environment file and nothing else of the
// caller's environment, the working directory, the umask, the user and
// group with their supplementary groups, no new privileges and an empty
// capability bounding set. The other hardening options (ProtectSystem=,
// PrivateTmp=, the system call filter) need systemd; systemd-analyze
// checks them instead.
func (u unit) command() (*exec.Cmd, error) {
	get := func(key string) string { v, _ := u.one(key); return v }
	for _, key := range []string{"ExecStart", "User", "Group", "EnvironmentFile", "WorkingDirectory", "UMask"} {
		if _, err := u.one(key); err != nil {
			return nil, err
		}
		if get(key) == "" {
			return nil, fmt.Errorf("the unit sets no %s=", key)
		}
	}
	argv := strings.Fields(get("ExecStart"))
	if strings.ContainsAny(get("ExecStart"), `"'$\%`) || strings.ContainsAny(argv[0][:1], "-@+!:") {
		return nil, fmt.Errorf("ExecStart=%s uses syntax this test does not read", get("ExecStart"))
	}
	envPath := strings.TrimPrefix(get("EnvironmentFile"), "-")
	fileEnv, err := readEnvFile(envPath)
	if err != nil {
		return nil, err
	}
	home := get("WorkingDirectory")
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
		"HOME=" + home, "USER=" + get("User"), "LOGNAME=" + get("User"), "SHELL=/usr/sbin/nologin"}
	for k, v := range fileEnv {
		env = append(env, k+"="+v)
	}
	priv := []string{"--reuid=" + get("User"), "--regid=" + get("Group"), "--init-groups"}
	if get("NoNewPrivileges") == "yes" {
		priv = append(priv, "--no-new-privs")
	}
	if v, set := u["CapabilityBoundingSet"]; set && len(v) == 1 && v[0] == "" {
		priv = append(priv, "--bounding-set=-all", "--inh-caps=-all")
	}
	// sh sets the umask, then becomes setpriv, which becomes the command:
	// one process id throughout.
	args := append([]string{"-c", `umask "$0" && exec setpriv "$@"`, get("UMask")}, priv...)
	cmd := exec.Command("sh", append(append(args, "--"), argv...)...)
	cmd.Dir, cmd.Env = home, env
	return cmd, nil
}
