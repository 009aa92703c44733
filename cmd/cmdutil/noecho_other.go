//go:build !linux

package cmdutil

import (
	"io"

	"golang.org/x/term"
)

func readNoEcho(fd int, errOut io.Writer, prompt string) (string, error) {
	io.WriteString(errOut, prompt)
	b, err := term.ReadPassword(fd)
	io.WriteString(errOut, "\n")
	return string(b), err
}
