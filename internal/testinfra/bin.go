package testinfra

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BinDirs returns the directories searched for server binaries before PATH:
// $CTL_TESTINFRA_BIN (when set), then ${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/bin,
// the default of hack/testinfra/ensure.sh.
func BinDirs() []string {
	var dirs []string
	if d := os.Getenv("CTL_TESTINFRA_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if c, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(c, "ctl-testinfra", "bin"))
	}
	return dirs
}

// LookPath finds the named binary in BinDirs, then on PATH.
func LookPath(name string) (string, error) {
	for _, d := range BinDirs() {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found in %q nor on PATH: run hack/testinfra/ensure.sh (make test does)", name, BinDirs())
}

// Binary returns the path of the named binary (see LookPath), failing the
// test when it is missing.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := LookPath(name)
	if err != nil {
		t.Fatalf("testinfra: %v", err)
	}
	return p
}
