//go:build !servicebinary

package canary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/kayenta/report"
	"github.com/ctlproject/ctl/smoke"
)

// addSmokeCommand adds `ctl canary smoke`. The service binary
// (-tags servicebinary) leaves it out, with the embedded Prometheus.
func addSmokeCommand(cmd *cobra.Command, f *cmdutil.Factory) {
	cmd.AddCommand(newCmdSmoke(f))
}

func newCmdSmoke(f *cmdutil.Factory) *cobra.Command {
	var (
		scenario   string
		duration   time.Duration
		rps        int
		deployment string
		reportPath string
		format     cmdutil.Format
	)
	cmd := &cobra.Command{
		Use:   "smoke [--scenario healthy|faulty|all] [--duration D] [-o json] [--report-html FILE]",
		Short: "Prove the deployed stack works: a healthy canary must pass, a faulty one fail",
		Long: `Run smoke canaries against the current deployment's analysis service.

For each scenario, ctl starts a baseline and a canary of the sample app in this
process, has an embedded Prometheus (built on Prometheus's own tsdb and promql
packages) scrape them every second on the loopback port the deployment reserved
for it, drives load to both for --duration, and asks the deployed service for a
canary execution (POST /canary) with a built-in canary config:

  error-ratio   sum(rate(requests_total{code="500"}[5s])) / sum(rate(requests_total[5s]))
                direction increase, critical; allowed increase 3x the baseline
  p99-latency   histogram_quantile(0.99, sum(rate(request_duration_seconds_bucket[5s])) by (le))
                direction increase; allowed increase 1.2x the baseline

over the load window with a step of 1s, thresholds pass 95 and marginal 75,
through the metrics account ctl-smoke-prometheus. Scenarios:

  healthy   baseline and canary alike (99% success, 20ms)  expected: pass
  faulty    the canary answers 70% of requests             expected: fail

The scenarios run at the same time. It uses a plain canary execution rather
than a standalone canary analysis, because a standalone analysis's lifetime and
interval are whole minutes. Everything it starts (apps, store, load) is stopped
when it ends, also on failure or Ctrl-C.

The summary goes to stdout, progress to stderr. After the table, each
scenario's verdict is printed in full (per metric the classification, the
baseline and canary means, their ratio and 98% interval, a sparkline of each
series read from the service's GET /metricSetPairList/{id}, and the score);
with -o json stdout holds only the JSON report and these summaries go to
stderr. --report-html FILE writes each scenario's verdict as a self-contained
HTML page with a chart per metric: FILE itself when one scenario runs, else
one page per scenario, FILE with "-<scenario>" before its extension
(report.html gives report-healthy.html and report-faulty.html). The service
serves the same page at /report/<executionId>.

Exit status 0 only when every scenario got its expected verdict, 1 otherwise.

Needs a local deployment that was applied ("ctl deploy apply").`,
		Example: `  ctl deploy apply
  ctl canary smoke
  ctl canary smoke --scenario faulty --duration 15s -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			scenarios, err := smoke.SelectScenarios(scenario)
			if err != nil {
				return cmdutil.FlagErrorf("--scenario: %v", err)
			}
			if duration < smoke.MinDuration {
				return cmdutil.FlagErrorf("--duration %s is too short: at least %s", duration, smoke.MinDuration)
			}
			if format == cmdutil.FormatYAML {
				return cmdutil.FlagErrorf("canary smoke prints json or table")
			}
			store, err := f.Store()
			if err != nil {
				return err
			}
			loaded, err := store.Load()
			if err != nil {
				return err
			}
			d, err := loaded.Config.Resolve(deployment)
			if err != nil {
				return err
			}
			if t := d.DeploymentEnvironment.Type; t != halconfig.EnvLocal && t != "" {
				return fmt.Errorf("deployment %s is %s: `ctl canary smoke` runs on a local deployment only (switch with `ctl config deploy edit --type local`, then `ctl deploy apply`)", d.Name, t)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := smoke.LocalTarget(ctx, store.Home, d.Name)
			if err != nil {
				return err
			}
			errOut := f.IO.ErrOut
			fmt.Fprintf(errOut, "Smoke canaries on deployment %s (%s): %s for %s\n", d.Name, st.URL, names(scenarios), duration)
			rep, err := smoke.Run(ctx, smoke.Options{
				ServiceURL: st.URL, StoreListen: st.StoreListen(), Duration: duration, RPS: rps, Progress: errOut,
			}, scenarios)
			if err != nil {
				if rep != nil && errors.Is(err, context.Canceled) {
					fmt.Fprintln(errOut, "Interrupted: the sample apps, the load and the embedded Prometheus were stopped.")
				}
				return err
			}
			sumOut := f.IO.Out
			if format == cmdutil.FormatJSON {
				sumOut = errOut
			}
			if format == cmdutil.FormatJSON {
				enc := json.NewEncoder(f.IO.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printSmoke(f, rep)
			}
			reportErr := smokeVerdicts(ctx, f, sumOut, st.URL, rep, reportPath, format != cmdutil.FormatJSON)
			if reportErr != nil {
				fmt.Fprintf(errOut, "Error: %v\n", reportErr)
			}
			fmt.Fprintf(errOut, "Smoke canaries took %.1fs.\n", rep.Seconds)
			if !rep.OK() {
				for _, r := range rep.Scenarios {
					if !r.OK() {
						fmt.Fprintf(errOut, "Error: scenario %s: verdict %s, expected %s%s\n", r.Scenario, r.Verdict, r.Expected, errSuffix(r.Error))
					}
				}
				return cmdutil.ErrSilent
			}
			if reportErr != nil {
				return cmdutil.ErrSilent
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", "all", "Scenario to run: healthy, faulty or all")
	cmd.Flags().DurationVar(&duration, "duration", smoke.DefaultDuration, "How long load is driven, at least 15s (the analysed window starts about 7s into it)")
	cmd.Flags().IntVar(&rps, "rps", smoke.DefaultRPS, "Requests per second to each app")
	cmd.Flags().StringVar(&deployment, "deployment", "", "Name of the deployment to use (default: currentDeployment)")
	cmd.Flags().StringVar(&reportPath, "report-html", "", "Also write each scenario's verdict as a self-contained HTML page (FILE, or FILE-<scenario>.html when several scenarios run)")
	_ = cmd.MarkFlagFilename("report-html", "html")
	_ = cmd.RegisterFlagCompletionFunc("scenario", cobra.FixedCompletions([]string{"healthy", "faulty", "all"}, cobra.ShellCompDirectiveNoFileComp))
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

func names(sc []smoke.Scenario) string {
	var n []string
	for _, s := range sc {
		n = append(n, s.Name)
	}
	return strings.Join(n, " and ")
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return " (" + e + ")"
}

func printSmoke(f *cmdutil.Factory, rep *smoke.Report) {
	w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SCENARIO\tEXPECTED\tVERDICT\tSCORE\tRESULT\tMETRICS")
	for _, r := range rep.Scenarios {
		res := "ok"
		if !r.OK() {
			res = "UNEXPECTED"
		}
		var ms []string
		for _, m := range r.Metrics {
			s := m.Name + "=" + m.Classification
			if m.Critical {
				s += " (critical)"
			}
			ms = append(ms, s)
		}
		if r.Error != "" {
			ms = append(ms, "error: "+r.Error)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%g\t%s\t%s\n", r.Scenario, r.Expected, r.Verdict, r.Score, res, strings.Join(ms, ", "))
	}
	w.Flush()
	for _, r := range rep.Scenarios {
		for _, m := range r.Metrics {
			fmt.Fprintf(f.IO.Out, "  %s %-12s baseline %s  canary %s  ratio %s\n", r.Scenario, m.Name, num(m.ControlMean), num(m.ExperimentMean), num(m.Ratio))
		}
	}
}

func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *p)
}

// smokeVerdicts prints the full verdict of each scenario that has an
// execution (the execution and its pairs read back from the service) to w
// after the table (a blank line first when afterTable), and with reportPath
// writes each one's HTML page (see smokeReportPath). It returns the first
// error writing a page; a verdict that cannot be read back is only reported.
func smokeVerdicts(ctx context.Context, f *cmdutil.Factory, w io.Writer, serviceURL string, rep *smoke.Report, reportPath string, afterTable bool) error {
	c := &svcClient{base: strings.TrimRight(serviceURL, "/"), client: &http.Client{Timeout: 30 * time.Second}}
	color := w == f.IO.Out && f.IO.IsStdoutTTY() && f.IO.ColorEnabled()
	var firstErr error
	for i, r := range rep.Scenarios {
		if r.ExecutionID == "" {
			continue
		}
		ex, _, err := c.execution(ctx, r.ExecutionID)
		if err != nil {
			fmt.Fprintf(f.IO.ErrOut, "Warning: scenario %s: cannot read execution %s back: %v\n", r.Scenario, r.ExecutionID, err)
			continue
		}
		if ex.Result == nil || ex.Result.JudgeResult == nil {
			continue
		}
		pairs, note := c.pairs(ctx, ex)
		if note != "" {
			fmt.Fprintf(f.IO.ErrOut, "Warning: scenario %s: %s\n", r.Scenario, note)
		}
		if afterTable || i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Scenario %s (expected %s), execution %s:\n", r.Scenario, r.Expected, r.ExecutionID)
		if err := report.WriteSummary(w, ex.Result.JudgeResult, pairs, color); err != nil {
			return err
		}
		if reportPath != "" {
			page := report.FromExecution(r.ExecutionID, ex, pairs, "")
			page.Title = "Smoke canary " + r.Scenario + ": " + page.Title
			page.Details = append(page.Details, report.Detail{Name: "Expected verdict", Value: r.Expected},
				report.Detail{Name: "Service", Value: c.base})
			if err := writeReportFile(smokeReportPath(reportPath, r.Scenario, len(rep.Scenarios)), page, f.IO.ErrOut); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

// smokeReportPath is the page of a scenario: path itself when it is the only
// scenario, else path with "-<scenario>" before its extension.
func smokeReportPath(path, scenario string, n int) string {
	if n <= 1 {
		return path
	}
	ext := filepath.Ext(path)
	if ext == "" {
		ext = ".html"
	}
	return strings.TrimSuffix(path, filepath.Ext(path)) + "-" + scenario + ext
}
