package config

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

// promptSentinel is the value pflag gives a secret flag written with no
// value; --help shows it as `string[="<prompt>"]`.
const promptSentinel = "<prompt>"

// The commands below are derived from halconfig.Providers: one description
// per provider gives its enable/disable/edit and account commands.

func newCmdProvider(o *Options, p *halconfig.Provider) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   p.Name,
		Short: fmt.Sprintf("Show and edit the %s canary integration", p.Title),
		Example: fmt.Sprintf(`  ctl config canary %[1]s
  ctl config canary %[1]s enable
  ctl config canary %[1]s account list`, p.Name),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, problems, err := o.read()
			if err != nil {
				return err
			}
			si := d.Canary.Integration(p.Name)
			for _, a := range si.Accounts {
				a.Redact(p)
			}
			err = cmdutil.Print(o.f.IO.Out, format, si, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "Integration:\t%s\n", p.Name)
				fmt.Fprintf(w, "Enabled:\t%t\n", si.Enabled)
				if len(p.Settings) > 0 {
					fmt.Fprintf(w, "Settings:\t%s\n", settingsSummary(si))
				}
				fmt.Fprintf(w, "Accounts:\t%s\n", orDash(strings.Join(accountNames(si), ", ")))
			})
			cmdutil.PrintProblems(o.f.IO, problems)
			return err
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	cmd.AddCommand(newCmdProviderToggle(o, p, true), newCmdProviderToggle(o, p, false))
	if len(p.Settings) > 0 {
		cmd.AddCommand(newCmdProviderEdit(o, p))
	}
	cmd.AddCommand(newCmdAccount(o, p))
	return cmd
}

func accountNames(si *halconfig.ServiceIntegration) []string {
	out := make([]string, len(si.Accounts))
	for i, a := range si.Accounts {
		out[i] = a.Name
	}
	return out
}

func newCmdProviderToggle(o *Options, p *halconfig.Provider, enable bool) *cobra.Command {
	verb, word := "enable", "Enabled"
	if !enable {
		verb, word = "disable", "Disabled"
	}
	return &cobra.Command{
		Use:     verb,
		Short:   fmt.Sprintf("%s the %s canary integration", word[:len(word)-1], p.Title),
		Example: fmt.Sprintf("  ctl config canary %s %s", p.Name, verb),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				d.Canary.Integration(p.Name).Enabled = enable
				return nil
			}, func() string { return fmt.Sprintf("+ %s canary integration %s", word, p.Name) })
		},
	}
}

func newCmdProviderEdit(o *Options, p *halconfig.Provider) *cobra.Command {
	bools := map[string]*bool{}
	var interval int64
	var examples []string
	cmd := &cobra.Command{
		Use:   "edit",
		Short: fmt.Sprintf("Edit the %s canary integration's settings", p.Title),
		Long: fmt.Sprintf(`Edit the %s integration's settings. Only the flags you give change.
Booleans take --flag, --flag=true or --flag true.`, p.Title),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				si := d.Canary.Integration(p.Name)
				for _, s := range p.Settings {
					if !fl.Changed(s.Flag) {
						continue
					}
					switch s.Kind {
					case halconfig.BoolSetting:
						si.SetBool(s.Key, *bools[s.Key])
					case halconfig.IntSetting:
						if interval <= 0 {
							return cmdutil.FlagErrorf("--%s must be a positive number of milliseconds, got %d", s.Flag, interval)
						}
						v := interval
						si.MetadataCachingIntervalMS = &v
					}
				}
				return nil
			}, func() string { return fmt.Sprintf("+ Edited canary integration %s", p.Name) })
		},
	}
	for _, s := range p.Settings {
		switch s.Kind {
		case halconfig.BoolSetting:
			b := new(bool)
			bools[s.Key] = b
			cmd.Flags().BoolVar(b, s.Flag, false, s.Usage)
			examples = append(examples, fmt.Sprintf("  ctl config canary %s edit --%s=true", p.Name, s.Flag))
		case halconfig.IntSetting:
			cmd.Flags().Int64Var(&interval, s.Flag, 60000, s.Usage)
			examples = append(examples, fmt.Sprintf("  ctl config canary %s edit --%s 30000", p.Name, s.Flag))
		}
	}
	cmd.Example = strings.Join(examples, "\n")
	return cmd
}

func newCmdAccount(o *Options, p *halconfig.Provider) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: fmt.Sprintf("Manage %s canary accounts", p.Title),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("account needs a subcommand: add, edit, delete, get or list")
		},
	}
	cmd.AddCommand(newCmdAccountAdd(o, p), newCmdAccountEdit(o, p), newCmdAccountDelete(o, p),
		newCmdAccountGet(o, p), newCmdAccountList(o, p))
	return cmd
}

// accountFlags binds one string flag per provider field.
type accountFlags struct {
	p      *halconfig.Provider
	values map[string]*string
}

func addAccountFlags(cmd *cobra.Command, p *halconfig.Provider, onAdd bool) *accountFlags {
	af := &accountFlags{p: p, values: map[string]*string{}}
	for _, f := range p.Fields {
		v := new(string)
		af.values[f.Key] = v
		usage := f.Usage
		if onAdd && f.Required {
			usage += " (required)"
		}
		if f.Secret {
			usage += " (sensitive: give the flag with no value to be prompted)"
		}
		def := ""
		if onAdd {
			def = f.Default
		}
		cmd.Flags().StringVar(v, f.Flag, def, usage)
		if f.Secret {
			fl := cmd.Flags().Lookup(f.Flag)
			fl.NoOptDefVal = promptSentinel
			fl.Annotations = map[string][]string{cmdutil.SecretAnnotation: {"true"}}
		}
		if f.LocalFile {
			_ = cmd.MarkFlagFilename(f.Flag)
		}
	}
	return af
}

// apply copies the flags the user gave into the account, prompting for
// secrets given without a value and making local paths absolute.
func (af *accountFlags) apply(o *Options, fl *pflag.FlagSet, a *halconfig.Account, onAdd bool) error {
	for _, f := range af.p.Fields {
		v := *af.values[f.Key]
		if !fl.Changed(f.Flag) {
			if onAdd && f.Default != "" {
				a.Set(f.Key, f.Default)
			}
			continue
		}
		if v == promptSentinel {
			s, err := o.f.IO.ReadSecret(fmt.Sprintf("%s: ", f.Flag))
			if err != nil {
				return fmt.Errorf("reading --%s: %w", f.Flag, err)
			}
			v = s
		}
		if f.LocalFile && v != "" && !halconfig.IsSecretReference(v) {
			abs, err := filepath.Abs(v)
			if err != nil {
				return fmt.Errorf("--%s: %w", f.Flag, err)
			}
			v = abs
		}
		a.Set(f.Key, v)
	}
	if onAdd {
		for _, f := range af.p.Fields {
			if f.Required && a.Get(f.Key) == "" {
				return cmdutil.FlagErrorf("required flag --%s not set: %s accounts need %s", f.Flag, af.p.Title, f.Key)
			}
		}
	}
	return nil
}

func addExample(p *halconfig.Provider) string {
	switch p.Name {
	case "prometheus":
		return "  ctl config canary prometheus account add my-prometheus --base-url http://prometheus:9090"
	case "aws":
		return `  # --secret-access-key with no value prompts for it (no echo)
  ctl config canary aws account add my-s3 --bucket spin-bucket --endpoint s3.example.com \
      --access-key-id ACCESS_ID --secret-access-key`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  ctl config canary %s account add my-%s", p.Name, p.Name)
	for _, f := range p.Fields {
		if !f.Required {
			continue
		}
		switch {
		case f.Secret:
			fmt.Fprintf(&b, " --%s", f.Flag)
		case f.URL:
			fmt.Fprintf(&b, " --%s https://api.example.com", f.Flag)
		default:
			fmt.Fprintf(&b, " --%s %s", f.Flag, strings.ToUpper(strings.ReplaceAll(f.Flag, "-", "_")))
		}
	}
	return b.String()
}

func newCmdAccountAdd(o *Options, p *halconfig.Provider) *cobra.Command {
	var af *accountFlags
	cmd := &cobra.Command{
		Use:     "add ACCOUNT",
		Short:   fmt.Sprintf("Add a canary account to the %s integration", p.Title),
		Example: addExample(p),
		Args:    exactAccountArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			a := &halconfig.Account{Name: name}
			if err := af.apply(o, cmd.Flags(), a, true); err != nil {
				return err
			}
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				if si, _ := d.Canary.FindAccount(name); si != nil {
					return fmt.Errorf("canary account %q already exists in %s: change it with `ctl config canary %s account edit %s`", name, si.Name, si.Name, name)
				}
				si := d.Canary.Integration(p.Name)
				si.Accounts = append(si.Accounts, a)
				return nil
			}, func() string { return fmt.Sprintf("+ Added %s account %s", p.Name, name) })
		},
	}
	af = addAccountFlags(cmd, p, true)
	return cmd
}

func newCmdAccountEdit(o *Options, p *halconfig.Provider) *cobra.Command {
	var af *accountFlags
	cmd := &cobra.Command{
		Use:   "edit ACCOUNT",
		Short: fmt.Sprintf("Edit a canary account of the %s integration", p.Title),
		Long:  "Edit an account. Only the flags you give change; an empty value (--flag \"\") removes a field.",
		Example: fmt.Sprintf(`  ctl config canary %s account edit my-%s --%s NEW_VALUE`,
			p.Name, p.Name, p.Fields[0].Flag),
		Args:              exactAccountArg,
		ValidArgsFunction: o.completeAccounts(p.Name, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				a := d.Canary.Integration(p.Name).Account(name)
				if a == nil {
					return accountNotFound(p, d, name)
				}
				return af.apply(o, cmd.Flags(), a, false)
			}, func() string { return fmt.Sprintf("+ Edited %s account %s", p.Name, name) })
		},
	}
	af = addAccountFlags(cmd, p, false)
	return cmd
}

func newCmdAccountDelete(o *Options, p *halconfig.Provider) *cobra.Command {
	return &cobra.Command{
		Use:               "delete ACCOUNT",
		Short:             fmt.Sprintf("Delete a canary account of the %s integration", p.Title),
		Example:           fmt.Sprintf("  ctl config canary %s account delete my-%s", p.Name, p.Name),
		Args:              exactAccountArg,
		ValidArgsFunction: o.completeAccounts(p.Name, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				si := d.Canary.Integration(p.Name)
				for i, a := range si.Accounts {
					if a.Name == name {
						si.Accounts = append(si.Accounts[:i], si.Accounts[i+1:]...)
						return nil
					}
				}
				return accountNotFound(p, d, name)
			}, func() string { return fmt.Sprintf("- Deleted %s account %s", p.Name, name) })
		},
	}
}

func newCmdAccountGet(o *Options, p *halconfig.Provider) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:               "get ACCOUNT",
		Short:             fmt.Sprintf("Show a canary account of the %s integration", p.Title),
		Example:           fmt.Sprintf("  ctl config canary %s account get my-%s -o yaml", p.Name, p.Name),
		Args:              exactAccountArg,
		ValidArgsFunction: o.completeAccounts(p.Name, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, _, err := o.read()
			if err != nil {
				return err
			}
			a := d.Canary.Integration(p.Name).Account(args[0])
			if a == nil {
				return accountNotFound(p, d, args[0])
			}
			a.Redact(p)
			return cmdutil.Print(o.f.IO.Out, format, halconfig.AccountView{Provider: p, Account: a}, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "name:\t%s\n", a.Name)
				for _, f := range p.Fields {
					if v := a.Get(f.Key); v != "" {
						fmt.Fprintf(w, "%s:\t%s\n", f.Key, v)
					}
				}
				fmt.Fprintf(w, "supportedTypes:\t%s\n", orDash(typesString(a)))
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

func newCmdAccountList(o *Options, p *halconfig.Provider) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:     "list",
		Short:   fmt.Sprintf("List %s canary accounts", p.Title),
		Example: fmt.Sprintf("  ctl config canary %s account list\n  ctl config canary %s account list -o json", p.Name, p.Name),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, _, err := o.read()
			if err != nil {
				return err
			}
			si := d.Canary.Integration(p.Name)
			views := make([]halconfig.AccountView, len(si.Accounts))
			for i, a := range si.Accounts {
				a.Redact(p)
				views[i] = halconfig.AccountView{Provider: p, Account: a}
			}
			return cmdutil.Print(o.f.IO.Out, format, views, func(w *tabwriter.Writer) {
				if len(views) == 0 {
					fmt.Fprintf(w, "No %s accounts. Add one with `ctl config canary %s account add NAME`.\n", p.Title, p.Name)
					return
				}
				main := p.Fields[0]
				fmt.Fprintf(w, "NAME\t%s\tSUPPORTED TYPES\n", strings.ToUpper(main.Key))
				for _, a := range si.Accounts {
					fmt.Fprintf(w, "%s\t%s\t%s\n", a.Name, orDash(a.Get(main.Key)), orDash(typesString(a)))
				}
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

func typesString(a *halconfig.Account) string {
	s := make([]string, len(a.SupportedTypes))
	for i, t := range a.SupportedTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

func accountNotFound(p *halconfig.Provider, d *halconfig.DeploymentConfiguration, name string) error {
	names := accountNames(d.Canary.Integration(p.Name))
	sort.Strings(names)
	have := "none"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return fmt.Errorf("%s account %q does not exist in deployment %s (have: %s)", p.Name, name, d.Name, have)
}

func exactAccountArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return cmdutil.FlagErrorf("%q needs exactly one ACCOUNT name, got %d argument(s)", cmd.CommandPath(), len(args))
	}
	return nil
}
