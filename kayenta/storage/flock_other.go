//go:build !unix

package storage

import (
	"context"
	"errors"
	"os"
)

const flockSupported = false

func flock(context.Context, *os.File, bool) error {
	return errors.New("flock is not supported on this platform")
}

func funlock(*os.File) error { return nil }
