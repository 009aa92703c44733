package canary

import (
	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/kayenta/judge"
)

func newCmdJudge(f *cmdutil.Factory) *cobra.Command {
	var configPath, pairsPath string
	var pass, marginal float64
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "judge --config CANARY_CONFIG.json --metric-pairs PAIRS.json",
		Short: "Judge metric pairs offline with NetflixACAJudge-v1.0",
		Long: `Judge a Kayenta MetricSetPairList file against a Kayenta canary config,
offline, with the bundled NetflixACAJudge-v1.0, and print the result:
Kayenta's CanaryJudgeResult as JSON (-o json), or a table per metric.

The pairs file is a JSON list of
  {"name", "id", "tags", "values": {"control": [...], "experiment": [...]}, "scopes", "attributes"}
where a value may be a number, "NaN" or null. Only --pass and --marginal decide
the verdict, as in Kayenta (classifier.scoreThresholds in the config is ignored).`,
		Example: `  # Judge pairs exported from Kayenta (GET /metricSetPairList/{id})
  ctl canary judge --config canary-config.json --metric-pairs pairs.json

  # Kayenta's JSON result with other thresholds
  ctl canary judge --config canary-config.json --metric-pairs pairs.json --pass 90 --marginal 60 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if marginal > pass {
				return cmdutil.FlagErrorf("--marginal (%g) must not be above --pass (%g)", marginal, pass)
			}
			if pass < 0 || pass > 100 || marginal < 0 {
				return cmdutil.FlagErrorf("--pass and --marginal are scores between 0 and 100")
			}
			cfg, err := judge.LoadCanaryConfigFile(configPath)
			if err != nil {
				return err
			}
			pairs, err := judge.LoadMetricSetPairListFile(pairsPath)
			if err != nil {
				return err
			}
			res, err := judge.Judge(cfg, pairs, judge.Thresholds{Pass: pass, Marginal: marginal})
			if err != nil {
				return err
			}
			switch format {
			case cmdutil.FormatJSON:
				return judge.WriteJSON(f.IO.Out, res)
			case cmdutil.FormatYAML:
				return cmdutil.FlagErrorf("canary judge prints json or table")
			}
			return judge.WriteTable(f.IO.Out, res)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "Kayenta canary config JSON file (required)")
	cmd.Flags().StringVar(&pairsPath, "metric-pairs", "", "Kayenta MetricSetPairList JSON file (required)")
	cmd.Flags().Float64Var(&pass, "pass", 95, "Score at or above which the canary passes")
	cmd.Flags().Float64Var(&marginal, "marginal", 75, "Score at or below which the canary fails")
	_ = cmd.MarkFlagRequired("config")
	_ = cmd.MarkFlagRequired("metric-pairs")
	_ = cmd.MarkFlagFilename("config", "json")
	_ = cmd.MarkFlagFilename("metric-pairs", "json")
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}
