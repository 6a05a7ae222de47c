package apply

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mintauth/mint/oauth"
)

// maxErrors is how many problems Load reports before it stops looking.
const maxErrors = 20

// Problem is one thing wrong in a file: where, which field, and what.
type Problem struct {
	File         string
	Line, Column int
	// Field is the path of the field at fault, as clients[2].tokens_per_hour.
	Field string
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	if p.Field != "" {
		b.WriteString(": " + p.Field)
	}
	return b.String() + ": " + p.Msg
}

// Problems is Load's error: everything found wrong, in file order, up to
// maxErrors.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// describe is the message of a check's error: an admin rule's description
// alone, without its RFC 6749 code.
func describe(err error) string {
	var e *oauth.Error
	if errors.As(err, &e) && e.Description != "" {
		return e.Description
	}
	return err.Error()
}

// fieldOf is the field an admin rule's error names, or "".
func fieldOf(err error) string {
	var e *oauth.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
