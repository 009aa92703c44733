package testinfra

import (
	"os"
	"path/filepath"
	"syscall"
)

// sysProcAttr kills the server if the test binary dies without cleaning up
// (a panic, a -timeout abort, a SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// xattrsSupported reports whether dir's filesystem stores user xattrs.
func xattrsSupported(dir string) bool {
	p := filepath.Join(dir, ".xattr-probe")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		return false
	}
	defer os.Remove(p)
	return syscall.Setxattr(p, "user.ctl-testinfra", []byte("1"), 0) == nil
}
