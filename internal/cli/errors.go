package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes of Run; see the package documentation.
const (
	exitOK          = 0
	exitRefused     = 1
	exitUsage       = 2
	exitUnreachable = 3
	exitAuth        = 4
)

// ExitCode is the error of a command that has already reported its
// failure (the server commands of cmd/mint): Run prints nothing more and
// exits with the code.
type ExitCode int

func (e ExitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line. When usage is set, it is
// printed after the message.
type usageError struct {
	msg   string
	usage func(io.Writer)
}

func (e *usageError) Error() string { return e.msg }

// usagef is a usage error of cmd, followed by cmd's usage line.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: shortUsage(cmd)}
}

// remoteError is the server's refusal: an RFC 6749 §5.2 error object.
type remoteError struct {
	Status      int
	Code        string
	Description string
	Field       string
	// Body is the error object as the server wrote it.
	Body []byte
	// Auth marks a refusal of the caller's credentials (exit code 4).
	Auth bool
	// Hint is a second line for people, printed after the error.
	Hint string
}

func (e *remoteError) Error() string {
	msg := e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Field != "" && e.Description == "" {
		msg += " (field " + e.Field + ")"
	}
	return msg
}

// transportError is a failure to talk to the server at all, or an answer
// that is not mint's JSON.
type transportError struct {
	msg string
}

func (e *transportError) Error() string { return e.msg }

// exitCode is the exit code for err.
func exitCode(err error) int {
	var (
		usage  *usageError
		remote *remoteError
		trans  *transportError
		code   ExitCode
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &remote) && remote.Auth:
		return exitAuth
	case errors.As(err, &remote):
		return exitRefused
	case errors.As(err, &trans):
		return exitUnreachable
	}
	return exitRefused
}
