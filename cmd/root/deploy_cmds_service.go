//go:build servicebinary

package root

import (
	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
)

// addDeployCommands: the service binary has no `ctl deploy`.
func addDeployCommands(*cobra.Command, *cmdutil.Factory) {}
