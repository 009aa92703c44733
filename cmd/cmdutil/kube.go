package cmdutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// ExecKube hands the command over to ctl-kube (ctl with Helm and
// client-go linked in), found beside this binary or on PATH. On success it
// does not return: ctl-kube's output and exit status are the command's.
func ExecKube(f *Factory) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bin := filepath.Join(filepath.Dir(self), "ctl-kube")
	if _, err := os.Stat(bin); err != nil {
		p, lerr := exec.LookPath("ctl-kube")
		if lerr != nil {
			return fmt.Errorf("distributed deployments are run by the ctl-kube binary, which is neither beside %s nor on PATH: build it with `make build` (bin/ctl-kube) or `go build ./cmd/ctl-kube`", self)
		}
		bin = p
	}
	return syscall.Exec(bin, append([]string{bin}, f.Args...), os.Environ())
}
