// Package deploy implements `ctl deploy`: put the analysis service where the
// deployment environment says (a local process, or Kubernetes with Helm).
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/installer"
)

// Options are the flags every deploy command takes.
type Options struct {
	f          *cmdutil.Factory
	Deployment string
	NoValidate bool
}

// NewCmdDeploy returns `ctl deploy`.
func NewCmdDeploy(f *cmdutil.Factory) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy the analysis service, and inspect or undo deployments",
		Long: `Deploy the bundled analysis service as the deployment environment says
("ctl config deploy edit"): a background process on this machine (local,
the default), or a Helm release in Kubernetes (distributed).`,
		Example: `  ctl deploy apply
  ctl deploy status
  ctl deploy diff
  ctl deploy rollback
  ctl deploy clean --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("deploy needs a subcommand: apply, diff, status, history, rollback or clean")
		},
	}
	cmd.PersistentFlags().StringVar(&o.Deployment, "deployment", "", "Name of the deployment to act on (default: currentDeployment)")
	cmd.PersistentFlags().BoolVar(&o.NoValidate, "no-validate", false, "Skip validation of the config")
	cmd.AddCommand(newCmdApply(o), newCmdDiff(o), newCmdStatus(o), newCmdHistory(o), newCmdRollback(o), newCmdClean(o))
	return cmd
}

// target is a loaded deployment and its deployer.
type target struct {
	home string
	d    *halconfig.DeploymentConfiguration
	dep  installer.Deployer
}

func (o *Options) target(progress io.Writer) (*target, error) {
	installer.Version = o.f.Version
	store, err := o.f.Store()
	if err != nil {
		return nil, err
	}
	loaded, err := store.Load()
	if err != nil {
		return nil, err
	}
	d, err := loaded.Config.Resolve(o.Deployment)
	if err != nil {
		return nil, err
	}
	dep, err := installer.For(store.Home, d, progress)
	if errors.Is(err, installer.ErrNeedsKubeBinary) {
		return nil, cmdutil.ExecKube(o.f)
	}
	if err != nil {
		return nil, err
	}
	return &target{home: store.Home, d: d, dep: dep}, nil
}

func newCmdApply(o *Options) *cobra.Command {
	var opts installer.ApplyOptions
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Install or update the analysis service from the config",
		Long: `Render the service's kayenta.yml from the deployment config (plus
profiles/kayenta-local.yml and service-settings/kayenta.yml) and put it in
place. Local: start the service in the background, or restart it when the
config changed, and wait for /health. Distributed: install or upgrade the
Helm release; when nothing changed, no new revision is made.`,
		Example: `  ctl deploy apply
  ctl deploy apply --wait --timeout 5m
  ctl deploy apply --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := o.target(o.f.IO.ErrOut)
			if err != nil {
				return err
			}
			if !o.NoValidate {
				problems := halconfig.Validate(t.d)
				cmdutil.PrintProblems(o.f.IO, problems)
				if len(problems.Blocking()) > 0 {
					return fmt.Errorf("deployment %s has %d validation error(s): nothing was applied (fix them, or pass --no-validate)", t.d.Name, len(problems.Blocking()))
				}
			}
			if !t.d.Canary.Enabled {
				fmt.Fprintf(o.f.IO.ErrOut, "- Canary analysis is disabled in deployment %s; the service is deployed anyway (enable with `ctl config canary enable`).\n", t.d.Name)
			}
			res, err := t.dep.Apply(cmd.Context(), opts)
			if err != nil {
				return err
			}
			switch res.Action {
			case "unchanged":
				fmt.Fprintf(o.f.IO.Out, "- No changes: deployment %s is up to date (%s)\n", t.d.Name, res.URL)
			case "dry-run":
				fmt.Fprintf(o.f.IO.Out, "+ Dry run: the API server accepted deployment %s; nothing was changed\n", t.d.Name)
			default:
				fmt.Fprintf(o.f.IO.Out, "+ Deployment %s %s: %s\n", t.d.Name, res.Action, res.URL)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "Wait until the service's pods are ready (distributed); progress on stderr")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "How long --wait waits")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "Ask the API server to validate the change (server-side dry run) and change nothing (distributed)")
	return cmd
}

func newCmdDiff(o *Options) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what changed since the last apply",
		Long: `Show the config fields changed since the last apply (as "hal deploy diff")
and a unified diff of what would be deployed against what runs: the
kayenta.yml (local) or the rendered manifests against the live release
(distributed). Exit status as "kubectl diff": 0 no differences, 1 differences.`,
		Example: `  ctl deploy diff
  ctl deploy diff -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := o.target(io.Discard)
			if err != nil {
				return err
			}
			base, err := installer.LoadBaseline(t.home, t.d.Name)
			if err != nil {
				return err
			}
			var changes []installer.Change // none listed before the first apply
			if base != nil {
				if changes, err = installer.ConfigChanges(base, t.d); err != nil {
					return err
				}
			}
			live, err := t.dep.Diff(cmd.Context())
			if err != nil {
				return err
			}
			result := diffResult{Deployment: t.d.Name, Deployed: base != nil, ConfigChanges: changes, Diff: live}
			if changes == nil {
				result.ConfigChanges = []installer.Change{}
			}
			err = cmdutil.Print(o.f.IO.Out, format, result, func(w *tabwriter.Writer) {
				if base == nil {
					fmt.Fprintf(w, "Deployment %s has not been applied yet: everything below is new.\n", t.d.Name)
				} else if len(changes) == 0 {
					fmt.Fprintln(w, "No changes have been made to your configuration since the last apply.")
				} else {
					fmt.Fprintf(w, "Changes to deployment %s since the last apply:\n", t.d.Name)
					for _, c := range changes {
						fmt.Fprintln(w, c.String())
					}
				}
				if live != "" {
					fmt.Fprintln(w)
					io.WriteString(w, live)
				}
			})
			if err != nil {
				return err
			}
			if len(changes) > 0 || live != "" || base == nil {
				return &cmdutil.ExitError{Code: 1}
			}
			return nil
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

type diffResult struct {
	Deployment    string             `json:"deployment" yaml:"deployment"`
	Deployed      bool               `json:"deployed" yaml:"deployed"`
	ConfigChanges []installer.Change `json:"configChanges" yaml:"configChanges"`
	Diff          string             `json:"diff" yaml:"diff"`
}

func newCmdStatus(o *Options) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show the deployed service: revision, readiness, address, health",
		Example: "  ctl deploy status\n  ctl deploy status -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := o.target(io.Discard)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			st, err := t.dep.Status(ctx)
			if err != nil {
				return err
			}
			return cmdutil.Print(o.f.IO.Out, format, st, func(w *tabwriter.Writer) {
				for _, row := range st.Rows() {
					fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
				}
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

func newCmdHistory(o *Options) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:     "history",
		Short:   "List the deployment's revisions",
		Example: "  ctl deploy history\n  ctl deploy history -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := o.target(io.Discard)
			if err != nil {
				return err
			}
			revs, err := t.dep.History(cmd.Context())
			if err != nil {
				return err
			}
			if revs == nil {
				revs = []installer.Revision{}
			}
			return cmdutil.Print(o.f.IO.Out, format, revs, func(w *tabwriter.Writer) {
				if len(revs) == 0 {
					fmt.Fprintf(w, "Deployment %s has no revisions: run `ctl deploy apply`.\n", t.d.Name)
					return
				}
				fmt.Fprintln(w, "REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION")
				for _, r := range revs {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Revision, r.Updated.Format(time.RFC3339), r.Status, dash(r.Chart), dash(r.AppVersion), r.Description)
				}
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

func newCmdRollback(o *Options) *cobra.Command {
	var revision int
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Go back to an earlier revision",
		Long: `Run an earlier revision again, as a new revision (default: the one before the
current). The ctl config is not changed: "ctl deploy diff" shows how it
differs from what now runs, and the next "ctl deploy apply" deploys the config.`,
		Example: "  ctl deploy rollback\n  ctl deploy rollback --revision 3",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if revision < 0 {
				return cmdutil.FlagErrorf("--revision must be positive")
			}
			t, err := o.target(o.f.IO.ErrOut)
			if err != nil {
				return err
			}
			res, err := t.dep.Rollback(cmd.Context(), revision)
			if err != nil {
				return err
			}
			fmt.Fprintf(o.f.IO.Out, "+ Rolled back deployment %s: %s\n", t.d.Name, res.URL)
			return nil
		},
	}
	cmd.Flags().IntVar(&revision, "revision", 0, "Revision to go back to (see `ctl deploy history`; default: the previous one)")
	return cmd
}

func newCmdClean(o *Options) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove the deployed service",
		Long: `Remove everything "ctl deploy apply" created for the deployment: stop the
local process, or uninstall the Helm release. This cannot be undone; the
config is kept. Asks for confirmation on a terminal unless --yes.`,
		Example: "  ctl deploy clean --yes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := o.target(o.f.IO.ErrOut)
			if err != nil {
				return err
			}
			if !yes {
				if !o.f.IO.IsStdinTTY() {
					return cmdutil.FlagErrorf("clean removes the deployed service: pass --yes to confirm")
				}
				ok, _ := o.f.IO.Confirm(fmt.Sprintf("This removes the deployed analysis service of deployment %s and cannot be undone. Continue?", t.d.Name))
				if !ok {
					return fmt.Errorf("not confirmed: nothing was removed")
				}
			}
			found, err := t.dep.Clean(cmd.Context())
			if err != nil {
				return err
			}
			if !found {
				fmt.Fprintf(o.f.IO.Out, "- Nothing to clean: deployment %s is not deployed\n", t.d.Name)
				return nil
			}
			fmt.Fprintf(o.f.IO.Out, "- Removed the analysis service of deployment %s\n", t.d.Name)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Do not ask for confirmation")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
