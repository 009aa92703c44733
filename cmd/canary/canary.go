// Package canary implements `ctl canary`: running and judging canary analyses.
package canary

import (
	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
)

// NewCmdCanary returns `ctl canary`.
func NewCmdCanary(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "canary",
		Short: "Judge canary analyses, and prove the deployed stack with smoke canaries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("canary needs a subcommand: judge, run, smoke or sample-app")
		},
	}
	cmd.AddCommand(newCmdJudge(f), newCmdRun(f), newCmdSampleApp(f))
	addSmokeCommand(cmd, f)
	return cmd
}
