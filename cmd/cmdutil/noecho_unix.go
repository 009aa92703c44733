//go:build linux

package cmdutil

import (
	"io"
	"strings"

	"golang.org/x/sys/unix"
)

// readNoEcho turns echo off before the prompt is shown, so nothing typed
// early is echoed, reads one line, and restores the terminal.
func readNoEcho(fd int, errOut io.Writer, prompt string) (string, error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", err
	}
	defer func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }()
	io.WriteString(errOut, prompt)
	// Read byte by byte from the descriptor itself: no buffering past the
	// line, and no *os.File whose finalizer would close standard input.
	var line []byte
	var buf [1]byte
	for {
		n, err := unix.Read(fd, buf[:])
		if n == 0 || err != nil {
			io.WriteString(errOut, "\n")
			if len(line) > 0 || err == nil {
				return strings.TrimRight(string(line), "\r"), nil
			}
			return "", err
		}
		if buf[0] == '\n' {
			break
		}
		line = append(line, buf[0])
	}
	io.WriteString(errOut, "\n")
	return strings.TrimRight(string(line), "\r"), nil
}
