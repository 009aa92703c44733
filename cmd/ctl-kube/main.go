// Command ctl-kube is ctl with its Kubernetes deployer linked in. ctl runs
// it for `ctl deploy …` on a distributed deployment, so Helm and client-go
// (about 25 ms of package initialisation) are paid only there.
package main

import (
	"os"

	"github.com/ctlproject/ctl/cmd/root"
	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/installer/kube"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	installer.NewDistributed = kube.NewDeployer
	os.Exit(root.Main(root.NewFactory(version), os.Args[1:]))
}
