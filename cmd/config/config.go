// Package config implements `ctl config`: the Halyard-style editor of the
// versioned deployment config.
package config

import (
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

// Options are the flags every config command takes (as Halyard's
// AbstractConfigCommand): --deployment and --no-validate.
type Options struct {
	f          *cmdutil.Factory
	Deployment string
	NoValidate bool
}

// NewCmdConfig returns `ctl config`.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	o := &Options{f: f}
	var format cmdutil.Format
	var setCurrent string
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show and edit the deployment config",
		Long: `Show the current deployment's config, or switch deployments.

The config file keeps Halyard's field names, so an existing ~/.hal/config
can be imported with "ctl config import".`,
		Example: `  # Print the current deployment as YAML
  ctl config -o yaml

  # Create a deployment named staging and make it current
  ctl config --set-current-deployment staging`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if setCurrent != "" {
				return o.setCurrentDeployment(setCurrent)
			}
			d, problems, err := o.read()
			if err != nil {
				return err
			}
			d.Canary.Redact()
			if format == cmdutil.FormatDefault {
				format = cmdutil.FormatYAML
			}
			err = cmdutil.Print(f.IO.Out, format, d, func(w *tabwriter.Writer) {
				e := d.DeploymentEnvironment
				fmt.Fprintf(w, "DEPLOYMENT\t%s\n", d.Name)
				fmt.Fprintf(w, "TYPE\t%s\n", e.Type)
				if e.Type == halconfig.EnvDistributed {
					fmt.Fprintf(w, "CONTEXT\t%s\n", orDash(e.AccountName))
					fmt.Fprintf(w, "NAMESPACE\t%s\n", orDash(e.Location))
					fmt.Fprintf(w, "KUBECONFIG\t%s\n", orDash(e.KubeconfigFile))
				}
				fmt.Fprintf(w, "CANARY\t%s\n", enabledWord(d.Canary.Enabled))
			})
			cmdutil.PrintProblems(f.IO, problems)
			return err
		},
	}
	cmd.PersistentFlags().StringVar(&o.Deployment, "deployment", "", "Name of the deployment to act on (default: currentDeployment)")
	cmd.PersistentFlags().BoolVar(&o.NoValidate, "no-validate", false, "Skip validation")
	_ = cmd.RegisterFlagCompletionFunc("deployment", o.completeDeployments)
	cmd.Flags().StringVar(&setCurrent, "set-current-deployment", "", "Make NAME the current deployment, creating it if needed")
	_ = cmd.RegisterFlagCompletionFunc("set-current-deployment", o.completeDeployments)
	cmdutil.AddOutputFlag(cmd, &format)

	cmd.AddCommand(newCmdCanary(o))
	cmd.AddCommand(newCmdDeploy(o))
	cmd.AddCommand(newCmdImport(o))
	cmd.AddCommand(newCmdValidate(o))
	return cmd
}

func (o *Options) setCurrentDeployment(name string) error {
	if !halconfig.ValidDeploymentName(name) {
		return cmdutil.FlagErrorf("--set-current-deployment: %q is not a valid deployment name (lower-case letters, digits, '-' and '_')", name)
	}
	created := false
	err := o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
		if h.Deployment(name) == nil {
			h.DeploymentConfigurations = append(h.DeploymentConfigurations, halconfig.NewDeployment(name))
			created = true
		}
		h.CurrentDeployment = name
		return nil
	}, func() string {
		if created {
			return "+ Created deployment " + name + " and made it current"
		}
		return "+ Current deployment is " + name
	}, withDeployment(""))
	return err
}

// read loads the config and returns a copy of the deployment with its problems.
func (o *Options) read() (*halconfig.DeploymentConfiguration, halconfig.Problems, error) {
	store, err := o.f.Store()
	if err != nil {
		return nil, nil, err
	}
	loaded, err := store.Load()
	if err != nil {
		return nil, nil, err
	}
	d, err := loaded.Config.Resolve(o.Deployment)
	if err != nil {
		return nil, nil, err
	}
	d = d.Clone()
	var problems halconfig.Problems
	if !o.NoValidate {
		problems = halconfig.Validate(d)
	}
	return d, problems, nil
}

type editSettings struct {
	deployment *string
}

type editOpt func(*editSettings)

func withDeployment(name string) editOpt { return func(s *editSettings) { s.deployment = &name } }

// edit runs one mutation through halconfig.Store.Edit and prints its one
// line of output (or "- No changes supplied.") and any warnings.
func (o *Options) edit(mutate func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error, done func() string, opts ...editOpt) error {
	s := editSettings{deployment: &o.Deployment}
	for _, opt := range opts {
		opt(&s)
	}
	store, err := o.f.Store()
	if err != nil {
		return err
	}
	res, err := store.Edit(halconfig.EditOptions{Deployment: *s.deployment, NoValidate: o.NoValidate}, mutate)
	if err != nil {
		return err
	}
	cmdutil.PrintProblems(o.f.IO, res.Problems)
	if res.Migrated != "" {
		fmt.Fprintf(o.f.IO.ErrOut, "+ Migrated %s from schema %s to %s (the previous file is kept as %s)\n",
			store.Path, res.Migrated, halconfig.APIVersion, res.Backup)
	}
	if !res.Changed {
		fmt.Fprintln(o.f.IO.Out, "- No changes supplied.")
		return nil
	}
	fmt.Fprintln(o.f.IO.Out, done())
	return nil
}

func (o *Options) completeDeployments(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	store, err := o.f.Store()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	loaded, err := store.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := loaded.Config.DeploymentNames()
	sort.Strings(names)
	return names, cobra.ShellCompDirectiveNoFileComp
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func enabledWord(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}
