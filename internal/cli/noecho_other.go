//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package cli

import "io"

// readNoEcho cannot turn a terminal's echo off here: the secret is read as
// a plain line.
func readNoEcho(io.Reader) (string, error) { return "", errNoTerminal }
