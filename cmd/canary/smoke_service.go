//go:build servicebinary

package canary

import (
	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
)

// addSmokeCommand: the service binary has no `ctl canary smoke`.
func addSmokeCommand(*cobra.Command, *cmdutil.Factory) {}
