package config

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

func newCmdValidate(o *Options) *cobra.Command {
	var online bool
	var timeout time.Duration
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the deployment config and list every problem",
		Long: `Check the deployment's config and list every problem with its severity, field
and what to do. Exits 1 when there is an ERROR or FATAL problem.

With --online it also checks that each enabled account's service answers:
Prometheus's health endpoint and S3 buckets (HEAD), each with a short timeout.`,
		Example: `  ctl config validate
  ctl config validate --online --timeout 3s
  ctl config validate -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.NoValidate = false
			d, problems, err := o.read()
			if err != nil {
				return err
			}
			if online {
				ctx, cancel := context.WithCancel(cmd.Context())
				defer cancel()
				problems = append(problems, halconfig.ValidateOnline(ctx, d, timeout)...)
			}
			if format == cmdutil.FormatJSON || format == cmdutil.FormatYAML {
				if problems == nil {
					problems = halconfig.Problems{}
				}
				if err := cmdutil.Print(o.f.IO.Out, format, problems, nil); err != nil {
					return err
				}
			} else {
				cmdutil.PrintProblems(o.f.IO, problems)
			}
			if problems.Max() >= halconfig.Error {
				if format == cmdutil.FormatDefault || format == cmdutil.FormatTable {
					fmt.Fprintf(o.f.IO.ErrOut, "Deployment %s has %d problem(s) that block a deploy.\n", d.Name, len(problems.Blocking()))
				}
				return cmdutil.ErrSilent
			}
			if format == cmdutil.FormatDefault || format == cmdutil.FormatTable {
				fmt.Fprintf(o.f.IO.Out, "+ Deployment %s is valid (%d warning(s))\n", d.Name, len(problems))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&online, "online", false, "Also check that the configured services answer")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "Timeout of each online check")
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}
