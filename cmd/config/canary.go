package config

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

func newCmdCanary(o *Options) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "canary",
		Short: "Show and edit the canary analysis settings",
		Long: `Show the canary section of the current deployment, or change it with the
subcommands. Field names and nesting are Halyard's (hal config canary).`,
		Example: `  # The canary section as Halyard would write it
  ctl config canary -o yaml

  # The whole setup of the Kayenta blog post
  ctl config canary enable
  ctl config canary prometheus enable
  ctl config canary prometheus account add my-prometheus --base-url http://prometheus:9090
  ctl config canary aws enable
  ctl config canary aws account add my-s3 --bucket spin-bucket --endpoint s3.example.com \
      --access-key-id ACCESS_ID --secret-access-key
  ctl config canary aws edit --s3-enabled=true
  ctl config canary edit --default-metrics-store prometheus --default-metrics-account my-prometheus \
      --default-storage-account my-s3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, problems, err := o.read()
			if err != nil {
				return err
			}
			c := &d.Canary
			c.Redact()
			err = cmdutil.Print(o.f.IO.Out, format, c, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "Canary analysis:\t%s\n", enabledWord(c.Enabled))
				fmt.Fprintf(w, "Default judge:\t%s\n", orDash(c.DefaultJudge))
				fmt.Fprintf(w, "Default metrics store:\t%s\n", orDash(c.DefaultMetricsStore))
				fmt.Fprintf(w, "Default metrics account:\t%s\n", orDash(c.DefaultMetricsAccount))
				fmt.Fprintf(w, "Default storage account:\t%s\n", orDash(c.DefaultStorageAccount))
				fmt.Fprintf(w, "Redux logger, stages, templates, show all configs:\t%t, %t, %t, %t\n",
					c.ReduxLoggerEnabled, c.StagesEnabled, c.TemplatesEnabled, c.ShowAllConfigsEnabled)
				fmt.Fprintln(w)
				fmt.Fprintln(w, "INTEGRATION\tENABLED\tACCOUNTS\tSETTINGS")
				for _, si := range c.ServiceIntegrations {
					fmt.Fprintf(w, "%s\t%t\t%d\t%s\n", si.Name, si.Enabled, len(si.Accounts), settingsSummary(si))
				}
			})
			cmdutil.PrintProblems(o.f.IO, problems)
			return err
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	cmd.AddCommand(newCmdCanaryToggle(o, true), newCmdCanaryToggle(o, false), newCmdCanaryEdit(o))
	for _, p := range halconfig.Providers {
		cmd.AddCommand(newCmdProvider(o, p))
	}
	return cmd
}

func settingsSummary(si *halconfig.ServiceIntegration) string {
	s := ""
	for _, st := range si.Provider().Settings {
		if s != "" {
			s += " "
		}
		switch st.Kind {
		case halconfig.BoolSetting:
			s += fmt.Sprintf("%s=%t", st.Key, si.Bool(st.Key))
		case halconfig.IntSetting:
			v := "60000 (default)"
			if si.MetadataCachingIntervalMS != nil {
				v = fmt.Sprint(*si.MetadataCachingIntervalMS)
			}
			s += fmt.Sprintf("%s=%s", st.Key, v)
		}
	}
	return orDash(s)
}

func newCmdCanaryToggle(o *Options, enable bool) *cobra.Command {
	verb, word := "enable", "Enabled"
	if !enable {
		verb, word = "disable", "Disabled"
	}
	return &cobra.Command{
		Use:     verb,
		Short:   fmt.Sprintf("%s canary analysis", word[:len(word)-1]),
		Example: "  ctl config canary " + verb,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				d.Canary.Enabled = enable
				return nil
			}, func() string { return "+ " + word + " canary analysis" })
		},
	}
}

var metricsStoreNames = []string{"prometheus", "datadog", "signalfx", "newrelic", "stackdriver"}

func newCmdCanaryEdit(o *Options) *cobra.Command {
	var judge, store, metricsAccount, storageAccount, atlasURL string
	var redux, stages, templates, showAll bool
	cmd := &cobra.Command{
		Use:   "edit",
		Short: "Edit the canary analysis defaults",
		Long: `Edit the canary defaults. Only the flags you give change. The default metrics
and storage accounts must exist and support METRICS_STORE and OBJECT_STORE,
and the default metrics store must be an enabled integration with an account.`,
		Example: `  ctl config canary edit --default-judge NetflixACAJudge-v1.0 --default-metrics-store prometheus \
      --default-metrics-account my-prometheus --default-storage-account my-s3
  ctl config canary edit --redux-logger-enabled false`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			return o.edit(func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
				c := &d.Canary
				setIf(fl.Changed("default-judge"), &c.DefaultJudge, judge)
				setIf(fl.Changed("default-metrics-store"), &c.DefaultMetricsStore, store)
				setIf(fl.Changed("default-metrics-account"), &c.DefaultMetricsAccount, metricsAccount)
				setIf(fl.Changed("default-storage-account"), &c.DefaultStorageAccount, storageAccount)
				setIf(fl.Changed("atlas-web-components-url"), &c.AtlasWebComponentsURL, atlasURL)
				setIf(fl.Changed("redux-logger-enabled"), &c.ReduxLoggerEnabled, redux)
				setIf(fl.Changed("stages-enabled"), &c.StagesEnabled, stages)
				setIf(fl.Changed("templates-enabled"), &c.TemplatesEnabled, templates)
				setIf(fl.Changed("show-all-configs-enabled"), &c.ShowAllConfigsEnabled, showAll)
				return nil
			}, func() string { return "+ Edited canary analysis settings" })
		},
	}
	f := cmd.Flags()
	f.StringVar(&judge, "default-judge", "", "Name of the scoring algorithm to use (default "+halconfig.DefaultJudge+")")
	f.StringVar(&store, "default-metrics-store", "", "Name of the metrics store to use by default (prometheus, datadog, signalfx, newrelic, stackdriver)")
	f.StringVar(&metricsAccount, "default-metrics-account", "", "Name of the metrics account to use by default")
	f.StringVar(&storageAccount, "default-storage-account", "", "Name of the storage account to use by default")
	f.StringVar(&atlasURL, "atlas-web-components-url", "", "Location of web components to use for Atlas metric configuration")
	// Halyard spells this one flag in camel case; accept its spelling too.
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "atlasWebComponentsUrl" {
			name = "atlas-web-components-url"
		}
		return pflag.NormalizedName(name)
	})
	f.BoolVar(&redux, "redux-logger-enabled", true, "Whether or not to enable redux logging in the canary module in deck")
	f.BoolVar(&stages, "stages-enabled", true, "Whether or not to enable canary stages in deck")
	f.BoolVar(&templates, "templates-enabled", true, "Whether or not to enable custom filter templates for canary configs in deck")
	f.BoolVar(&showAll, "show-all-configs-enabled", true, "Whether or not to show all canary configs in deck, or just those scoped to the current application")
	_ = cmd.RegisterFlagCompletionFunc("default-judge", cobra.FixedCompletions([]string{halconfig.DefaultJudge}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("default-metrics-store", cobra.FixedCompletions(metricsStoreNames, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("default-metrics-account", o.completeAccounts("", halconfig.MetricsStore))
	_ = cmd.RegisterFlagCompletionFunc("default-storage-account", o.completeAccounts("", halconfig.ObjectStore))
	return cmd
}

func setIf[T any](changed bool, dst *T, v T) {
	if changed {
		*dst = v
	}
}

// completeAccounts completes account names of one provider ("" = all) that
// support t ("" = any type).
func (o *Options) completeAccounts(provider string, t halconfig.SupportedType) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		store, err := o.f.Store()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		loaded, err := store.Load()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		d, err := loaded.Config.Resolve(o.Deployment)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, si := range d.Canary.ServiceIntegrations {
			if provider != "" && si.Name != provider {
				continue
			}
			for _, a := range si.Accounts {
				if t == "" || a.Supports(t) {
					out = append(out, a.Name)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
