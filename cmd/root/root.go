// Package root assembles ctl's command tree and maps errors to exit codes.
package root

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	backupcmd "github.com/ctlproject/ctl/cmd/backup"
	canarycmd "github.com/ctlproject/ctl/cmd/canary"
	"github.com/ctlproject/ctl/cmd/cmdutil"
	configcmd "github.com/ctlproject/ctl/cmd/config"
	kayentacmd "github.com/ctlproject/ctl/cmd/kayenta"
	versioncmd "github.com/ctlproject/ctl/cmd/version"
	"github.com/ctlproject/ctl/halconfig"
)

// NewCmdRoot returns the `ctl` command.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ctl <command> <subcommand> [flags]",
		Short: "Configure, deploy and prove a canary-analysis stack",
		Long: `ctl manages a canary-analysis stack the way Halyard manages Spinnaker: edit a
versioned YAML config with "ctl config canary ...", back it up, deploy the
bundled Kayenta-compatible analysis service, and prove it works.

The config lives in $CTL_HOME/config ($CTL_HOME defaults to ~/.ctl);
--config or CTL_CONFIG point at another file.`,
		Example: `  # Turn canary analysis on and add a Prometheus metrics account
  ctl config canary enable
  ctl config canary prometheus enable
  ctl config canary prometheus account add my-prometheus --base-url http://prometheus:9090

  # Show the canary section as YAML
  ctl config canary -o yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       f.Version,
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetVersionTemplate("ctl version {{.Version}}\n")
	cmd.PersistentFlags().StringVar(&f.ConfigFlag, "config", "", "Path of the config file (default $CTL_HOME/config; env CTL_CONFIG)")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	cmd.AddCommand(configcmd.NewCmdConfig(f))
	cmd.AddCommand(versioncmd.NewCmdVersion(f))
	cmd.AddCommand(canarycmd.NewCmdCanary(f))
	cmd.AddCommand(kayentacmd.NewCmdKayenta(f))
	addDeployCommands(cmd, f)
	cmd.AddCommand(backupcmd.NewCmdBackup(f))
	cmd.AddCommand(newCmdCompletion(f))
	cmd.CompletionOptions.DisableDefaultCmd = true
	return cmd
}

// Main runs ctl with args and returns the exit status. It is the one place
// errors become output and exit codes.
func Main(f *cmdutil.Factory, args []string) int {
	f.Args = args
	root := NewCmdRoot(f)
	root.SetArgs(NormalizeArgs(root, args))
	err := root.Execute()
	if err == nil {
		return 0
	}
	var flagErr *cmdutil.FlagError
	var exitErr *cmdutil.ExitError
	var blocked *halconfig.BlockedError
	switch {
	case errors.Is(err, cmdutil.ErrSilent):
		return 1
	case errors.As(err, &exitErr):
		return exitErr.Code
	case errors.As(err, &blocked):
		cmdutil.PrintProblems(f.IO, blocked.Problems)
		fmt.Fprintf(f.IO.ErrOut, "Error: the change was not saved: it adds %d validation error(s) (fix them, or pass --no-validate)\n", len(blocked.New))
		return 1
	case errors.As(err, &flagErr) || isCobraUsageError(err):
		fmt.Fprintf(f.IO.ErrOut, "Error: %v\n", err)
		if c, _, ferr := root.Find(args); ferr == nil && c != nil {
			fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", c.CommandPath())
		}
		return 2
	}
	fmt.Fprintf(f.IO.ErrOut, "Error: %v\n", err)
	return 1
}

// SecretAnnotation marks flags whose value may be omitted to be prompted for.
const SecretAnnotation = cmdutil.SecretAnnotation

// NormalizeArgs rewrites Halyard-style arguments that pflag would misread:
// a bool flag followed by "true"/"false" (`--s3-enabled true`) and a secret
// flag followed by its value (`--secret-access-key XYZ`) become `--flag=value`.
// A secret flag with no value stays bare, so ctl prompts for it.
func NormalizeArgs(root *cobra.Command, args []string) []string {
	target, _, err := root.Find(args)
	if err != nil || target == nil {
		return args
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a == "--" {
			out = append(out, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "--") || strings.Contains(a, "=") || i+1 >= len(args) {
			continue
		}
		fl := lookupFlag(target, strings.TrimPrefix(a, "--"))
		if fl == nil {
			continue
		}
		next := args[i+1]
		isBool := fl.Value.Type() == "bool"
		_, isSecret := fl.Annotations[SecretAnnotation]
		if (isBool && (next == "true" || next == "false")) || (isSecret && !strings.HasPrefix(next, "-")) {
			out[len(out)-1] = a + "=" + next
			i++
		}
	}
	return out
}

func lookupFlag(c *cobra.Command, name string) *pflag.Flag {
	if fl := c.Flags().Lookup(name); fl != nil {
		return fl
	}
	for p := c; p != nil; p = p.Parent() {
		if fl := p.PersistentFlags().Lookup(name); fl != nil {
			return fl
		}
	}
	return nil
}

// NewFactory returns the factory for the real process.
func NewFactory(version string) *cmdutil.Factory {
	return &cmdutil.Factory{IO: cmdutil.System(), Version: version, Getenv: os.Getenv}
}

// isCobraUsageError recognises the usage errors cobra returns as plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.Contains(msg, "arg(s)") ||
		strings.HasPrefix(msg, "required flag(s)") || strings.HasPrefix(msg, "if any flags in the group")
}
