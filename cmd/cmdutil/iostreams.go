// Package cmdutil holds what every ctl command shares: IO streams, the
// factory that builds dependencies, output formats, prompts and errors.
package cmdutil

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams. Commands never touch os.Stdout.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	inTTY, outTTY, errTTY bool
	inFd                  int
	lines                 *bufio.Reader
	noColor               bool
}

// System returns the process's streams.
func System() *IOStreams {
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		inTTY: isTTY(os.Stdin), outTTY: isTTY(os.Stdout), errTTY: isTTY(os.Stderr),
		inFd:    int(os.Stdin.Fd()),
		noColor: os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
	}
}

// Test returns streams backed by buffers, none of them a TTY.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, noColor: true}, in, out, errOut
}

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.inTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// IsStderrTTY reports whether standard error is a terminal (a progress line
// may then be redrawn in place).
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// SetStdoutTTY is for tests.
func (s *IOStreams) SetStdoutTTY(v bool) { s.outTTY = v }

// ColorEnabled reports whether stderr gets ANSI colors.
func (s *IOStreams) ColorEnabled() bool { return s.errTTY && !s.noColor }

// ReadLine reads one line from standard input, without its newline.
func (s *IOStreams) ReadLine() (string, error) {
	if s.lines == nil {
		s.lines = bufio.NewReader(s.In)
	}
	line, err := s.lines.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	return strings.TrimRight(line, "\r\n"), err
}

// Confirm asks question on stderr, followed by " (y/N) ", and reads the
// answer from standard input: true for "y" or "yes", in any case.
func (s *IOStreams) Confirm(question string) (bool, error) {
	fmt.Fprintf(s.ErrOut, "%s (y/N) ", question)
	answer, err := s.ReadLine()
	if err != nil {
		return false, err
	}
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}

// ReadSecret prompts on stderr and reads a value with no echo on a TTY, or
// reads one line from standard input otherwise.
func (s *IOStreams) ReadSecret(prompt string) (string, error) {
	if s.inTTY {
		return readNoEcho(s.inFd, s.ErrOut, prompt)
	}
	return s.ReadLine()
}

// Color wraps s in an ANSI color when colors are on.
func (s *IOStreams) Color(code, text string) string {
	if !s.ColorEnabled() {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
