package config

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

func newCmdDeploy(o *Options) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Show and edit where `ctl deploy` puts the analysis service",
		Example: `  ctl config deploy
  ctl config deploy -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, problems, err := o.read()
			if err != nil {
				return err
			}
			e := d.DeploymentEnvironment
			err = cmdutil.Print(o.f.IO.Out, format, e, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "Type:\t%s\n", e.Type)
				fmt.Fprintf(w, "Context (account name):\t%s\n", orDash(e.AccountName))
				fmt.Fprintf(w, "Namespace:\t%s\n", orDash(e.Location))
				fmt.Fprintf(w, "Kubeconfig:\t%s\n", orDash(e.KubeconfigFile))
			})
			cmdutil.PrintProblems(o.f.IO, problems)
			return err
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	cmd.AddCommand(newCmdDeployEdit(o))
	return cmd
}

func newCmdDeployEdit(o *Options) *cobra.Command {
	var typ, context, namespace, kubeconfig string
	cmd := &cobra.Command{
		Use:   "edit",
		Short: "Edit the deployment environment",
		Long: `Edit where "ctl deploy" installs the analysis service: "local" runs it as a
process on this machine (the default, no cluster needed); "distributed"
installs it into Kubernetes with Helm, using --account-name as the
kubeconfig context and --namespace as the namespace. Only the flags you give change.`,
		Example: `  # Kubernetes, context my-cluster, namespace canary
  ctl config deploy edit --type distributed --account-name my-cluster --namespace canary \
      --kubeconfig ~/.kube/config

  # Back to a local process
  ctl config deploy edit --type local`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if fl.Changed("type") && typ != halconfig.EnvLocal && typ != halconfig.EnvDistributed {
				return cmdutil.FlagErrorf("--type must be local or distributed, got %q", typ)
			}
			if fl.Changed("kubeconfig") && kubeconfig != "" {
				abs, err := filepath.Abs(expandHome(kubeconfig))
				if err != nil {
					return err
				}
				kubeconfig = abs
			}
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				e := &d.DeploymentEnvironment
				setIf(fl.Changed("type"), &e.Type, typ)
				setIf(fl.Changed("account-name"), &e.AccountName, context)
				setIf(fl.Changed("namespace"), &e.Location, namespace)
				setIf(fl.Changed("kubeconfig"), &e.KubeconfigFile, kubeconfig)
				return nil
			}, func() string { return "+ Edited deployment environment of " + deploymentLabel(o) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "Deployment type: local or distributed")
	f.StringVar(&context, "account-name", "", "Kubeconfig context to deploy to (distributed)")
	f.StringVar(&namespace, "namespace", "", "Kubernetes namespace to deploy to (distributed; default spinnaker)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "Path of the kubeconfig file (distributed; default $KUBECONFIG or ~/.kube/config)")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{halconfig.EnvLocal, halconfig.EnvDistributed}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("kubeconfig")
	return cmd
}

func deploymentLabel(o *Options) string {
	if o.Deployment != "" {
		return o.Deployment
	}
	return "the current deployment"
}

func expandHome(p string) string {
	if len(p) > 1 && p[:2] == "~/" {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return p
}
