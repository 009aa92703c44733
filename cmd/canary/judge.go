package canary

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/report"
)

func newCmdJudge(f *cmdutil.Factory) *cobra.Command {
	var configPath, pairsPath, reportPath string
	var pass, marginal float64
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "judge --config CANARY_CONFIG.json --metric-pairs PAIRS.json",
		Short: "Judge metric pairs offline with NetflixACAJudge-v1.0",
		Long: `Judge a Kayenta MetricSetPairList file against a Kayenta canary config,
offline, with the bundled NetflixACAJudge-v1.0, and print the result:
Kayenta's CanaryJudgeResult as JSON (-o json), or a summary: per metric the
classification, the control and experiment means, their ratio and the 98%
interval of the shift, a sparkline of each series (a space marks a missing
value), then the score. --report-html also writes the verdict as one
self-contained HTML page with a chart per metric (opens offline in any browser).

The pairs file is a JSON list of
  {"name", "id", "tags", "values": {"control": [...], "experiment": [...]}, "scopes", "attributes"}
where a value may be a number, "NaN" or null. Only --pass and --marginal decide
the verdict, as in Kayenta (classifier.scoreThresholds in the config is ignored).`,
		Example: `  # Judge pairs exported from Kayenta (GET /metricSetPairList/{id})
  ctl canary judge --config canary-config.json --metric-pairs pairs.json

  # Kayenta's JSON result with other thresholds
  ctl canary judge --config canary-config.json --metric-pairs pairs.json --pass 90 --marginal 60 -o json

  # Also write an HTML report with a chart per metric
  ctl canary judge --config canary-config.json --metric-pairs pairs.json --report-html report.html`,
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
			if format == cmdutil.FormatYAML {
				return cmdutil.FlagErrorf("canary judge prints json or table")
			}
			if reportPath != "" {
				r := report.New("Canary report: "+cfg.Name, res, pairs)
				if cfg.Name == "" {
					r.Title = "Canary report"
				}
				r.Details = []report.Detail{{Name: "Canary config", Value: configPath}, {Name: "Metric pairs", Value: pairsPath},
					{Name: "Thresholds", Value: fmt.Sprintf("pass %g, marginal %g", pass, marginal)}}
				var buf bytes.Buffer
				if err := report.WriteHTML(&buf, r); err != nil {
					return err
				}
				if err := os.WriteFile(reportPath, buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("writing the HTML report: %w", err)
				}
			}
			if format == cmdutil.FormatJSON {
				err = judge.WriteJSON(f.IO.Out, res)
			} else {
				err = report.WriteSummary(f.IO.Out, res, pairs, f.IO.IsStdoutTTY() && f.IO.ColorEnabled())
			}
			if err == nil && reportPath != "" {
				abs, aerr := filepath.Abs(reportPath)
				if aerr != nil {
					abs = reportPath
				}
				fmt.Fprintf(f.IO.ErrOut, "HTML report written to %s\n", abs)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "Kayenta canary config JSON file (required)")
	cmd.Flags().StringVar(&pairsPath, "metric-pairs", "", "Kayenta MetricSetPairList JSON file (required)")
	cmd.Flags().StringVar(&reportPath, "report-html", "", "Also write the verdict as a self-contained HTML page to this file")
	cmd.Flags().Float64Var(&pass, "pass", 95, "Score at or above which the canary passes")
	cmd.Flags().Float64Var(&marginal, "marginal", 75, "Score at or below which the canary fails")
	_ = cmd.MarkFlagRequired("config")
	_ = cmd.MarkFlagRequired("metric-pairs")
	_ = cmd.MarkFlagFilename("config", "json")
	_ = cmd.MarkFlagFilename("metric-pairs", "json")
	_ = cmd.MarkFlagFilename("report-html", "html")
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}
