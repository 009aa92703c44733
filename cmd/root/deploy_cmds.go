//go:build !servicebinary

package root

import (
	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	deploycmd "github.com/ctlproject/ctl/cmd/deploy"
)

// addDeployCommands adds `ctl deploy`. The container image is built with
// -tags servicebinary and leaves it out: the pod only runs `ctl kayenta
// serve`, and without Helm and client-go linked in the process starts
// smaller (see docs/architecture.md, "Two builds of one binary").
func addDeployCommands(cmd *cobra.Command, f *cmdutil.Factory) {
	cmd.AddCommand(deploycmd.NewCmdDeploy(f))
}
