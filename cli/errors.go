package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes of Run; see the package documentation.
const (
	exitOK          = 0
	exitRefused     = 1
	exitUsage       = 2
	exitUnreachable = 3
	exitAuth        = 4
)

// errHelp asks for a command's usage on stdout and exit code 0.
var errHelp = flag.ErrHelp

// usageError is a mistake in the command line. When usage is set, it is
// printed after the message.
type usageError struct {
	msg   string
	usage func(io.Writer)
}

func (e *usageError) Error() string { return e.msg }

func usagef(fs *flag.FlagSet, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: flagUsage(fs)}
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
	)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
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

// flagUsage prints the usage of fs to a writer.
func flagUsage(fs *flag.FlagSet) func(io.Writer) {
	return func(w io.Writer) {
		fs.SetOutput(w)
		fs.Usage()
	}
}
