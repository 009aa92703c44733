package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ctlproject/ctl/backup"
	"github.com/ctlproject/ctl/halconfig"
)

// Factory builds the dependencies commands share, lazily.
type Factory struct {
	IO *IOStreams
	// Version is ctl's version (set at link time).
	Version string
	// ConfigFlag is the value of the global --config flag.
	ConfigFlag string
	// Getenv reads the environment (a seam for tests).
	Getenv func(string) string
	// Args are the command-line arguments ctl was run with (after the
	// program name), for handing a command over to ctl-kube.
	Args []string
}

// Home returns $CTL_HOME, default ~/.ctl.
func (f *Factory) Home() (string, error) {
	if h := f.Getenv("CTL_HOME"); h != "" {
		return filepath.Abs(h)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the config home: %w (set CTL_HOME)", err)
	}
	return filepath.Join(home, ".ctl"), nil
}

// Store returns the config store: --config, then CTL_CONFIG, then $CTL_HOME/config.
// It first finishes a `ctl backup restore` that was killed mid-swap
// (backup.Recover), so no command ever sees a half-restored home.
func (f *Factory) Store() (*halconfig.Store, error) {
	home, err := f.Home()
	if err != nil {
		return nil, err
	}
	if err := backup.Recover(home); err != nil {
		return nil, err
	}
	path := f.ConfigFlag
	if path == "" {
		path = f.Getenv("CTL_CONFIG")
	}
	if path != "" {
		if path, err = filepath.Abs(path); err != nil {
			return nil, err
		}
	}
	return halconfig.NewStore(home, path), nil
}
