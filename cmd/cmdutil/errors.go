package cmdutil

import (
	"errors"
	"fmt"
)

// FlagError is a usage mistake: main prints it with a pointer to --help and exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrSilent means the command already said why it failed; exit 1 quietly.
var ErrSilent = errors.New("silent error")

// ExitError carries a specific exit status (as `kubectl diff` uses 1 for "differences").
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }
