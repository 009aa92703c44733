package config

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/halconfig"
)

func newCmdImport(o *Options) *cobra.Command {
	var path string
	var force bool
	cmd := &cobra.Command{
		Use:   "import --halconfig PATH",
		Short: "Import a Halyard config (~/.hal/config)",
		Long: `Import the canary section and the deployment environment of a Halyard
config. Sections ctl does not manage (providers, persistentStorage, security,
...) are listed, never silently dropped. By default the Halyard file's current
deployment is imported under its own name; --deployment picks another.
An existing ctl deployment of the same name is only replaced with --force.`,
		Example: `  ctl config import --halconfig ~/.hal/config
  ctl config import --halconfig ~/.hal/config --deployment prod --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			imp, err := halconfig.ImportHalyardFile(path, o.Deployment)
			if err != nil {
				return err
			}
			var replaced bool
			err = o.edit(func(h *halconfig.Halconfig, _ *halconfig.DeploymentConfiguration) error {
				if existing := h.Deployment(imp.Deployment.Name); existing != nil {
					// A deployment as NewDeployment makes it holds nothing to lose.
					replaced = !halconfig.IsPristine(existing)
					if replaced && !force {
						return fmt.Errorf("deployment %q already exists in the ctl config: pass --force to replace it, or --deployment NAME to import another one", imp.Deployment.Name)
					}
					*existing = *imp.Deployment
				} else {
					h.DeploymentConfigurations = append(h.DeploymentConfigurations, imp.Deployment)
				}
				h.CurrentDeployment = imp.Deployment.Name
				return nil
			}, func() string {
				verb := "Imported"
				if replaced {
					verb = "Replaced"
				}
				return fmt.Sprintf("+ %s deployment %s from %s", verb, imp.Deployment.Name, path)
			}, withDeployment(""))
			for _, n := range imp.Notes {
				fmt.Fprintf(o.f.IO.ErrOut, "- %s\n", n)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&path, "halconfig", "", "Path of the Halyard config to import (required)")
	cmd.Flags().BoolVar(&force, "force", false, "Replace an existing deployment of the same name")
	_ = cmd.MarkFlagRequired("halconfig")
	_ = cmd.MarkFlagFilename("halconfig")
	return cmd
}
