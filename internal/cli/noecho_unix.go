//go:build linux || darwin || freebsd || netbsd || openbsd

package cli

import (
	"bufio"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// readNoEcho reads one line from a terminal with its echo turned off, so
// that a secret typed at `mint login` is not shown.
func readNoEcho(in io.Reader) (string, error) {
	f, ok := in.(*os.File)
	if !ok {
		return "", errNoTerminal
	}
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return "", errNoTerminal
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return "", errNoTerminal
	}
	defer unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSpace(line), nil
}
