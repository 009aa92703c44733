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
	"github.com/ctlproject/ctl/installer"
	"github.com/ctlproject/ctl/kayenta/report"
	"github.com/ctlproject/ctl/smoke"
)

// addSmokeCommand adds `ctl canary smoke`. The service binary
// (-tags servicebinary) leaves it out, with the embedded Prometheus.
func addSmokeCommand(cmd *cobra.Command, f *cmdutil.Factory) {
	cmd.AddCommand(newCmdSmoke(f))
}

// smokeFlags are `ctl canary smoke`'s flags.
type smokeFlags struct {
	scenario, deployment, reportPath   string
	duration, scrape, seriesTimeout    time.Duration
	readyTimeout                       time.Duration
	rps                                int
	metricsAccount, fileSD, serviceURL string
	serviceMonitor                     bool
	serviceMonitorLabels               map[string]string
	format                             cmdutil.Format
}

func newCmdSmoke(f *cmdutil.Factory) *cobra.Command {
	var fl smokeFlags
	cmd := &cobra.Command{
		Use:   "smoke [--scenario healthy|faulty|all] [--duration D] [-o json] [--report-html FILE]",
		Short: "Prove the deployed stack works: a healthy canary must pass, a faulty one fail",
		Long: `Run smoke canaries against the current deployment's analysis service.

For each scenario, ctl starts a baseline and a canary of the sample app, each
exporting the labels smoke_run (this run's id), scenario and version, loads them
with --rps requests per second, waits until the service's metrics account shows
their series (asking the service, POST /fetch/prometheus/query), then runs a
standalone canary analysis through the service (POST /standalone_canary_analysis,
real time: posted when the analysed window starts and judged when it ends) with
a built-in canary config:

  error-ratio   sum(rate(requests_total{code="500"}[W])) / sum(rate(requests_total[W]))
                direction increase, critical; allowed increase 3x the baseline
  p99-latency   histogram_quantile(0.99, sum(rate(request_duration_seconds_bucket[W])) by (le))
                direction increase; allowed increase 1.2x the baseline

where W is four scrape intervals (at least 5s), at a step of one scrape interval,
thresholds pass 95 and marginal 75. The window starts W plus one scrape after
the series appear and ends --duration after them. Scenarios:

  healthy   baseline and canary alike (95% success, 20ms)  expected: pass
  faulty    the canary answers 70% of requests             expected: fail

Where the apps run follows the deployment:

  local        The apps run in this process on loopback ports. By default an
               embedded Prometheus (Prometheus's own tsdb and promql packages)
               scrapes them every second on the port the deployment reserved
               for it, behind the metrics account ctl-smoke-prometheus: no
               Prometheus needed. To use a configured Prometheus instead, name
               its account with --metrics-account and have it read --file-sd
               FILE (a file_sd_configs file ctl writes the apps' targets to).
  distributed  The apps run as Deployments in the service's namespace (a Helm
               release ctl-smoke-<run> of the embedded sample app chart, with
               the service's image), loading themselves, with prometheus.io/scrape
               annotations and, with --service-monitor, a ServiceMonitor. The
               metrics account is --metrics-account, by default the deployment's
               default metrics account. ctl reaches the service through the API
               server's service proxy, or at --service. When the account
               shows no series within --series-timeout, the error says what
               ctl found and what to check.

The scenarios run at the same time. Everything the run created (apps, load,
embedded Prometheus, file_sd targets, the Helm release) is removed when it
ends, also on failure or Ctrl-C.

The summary goes to stdout, progress to stderr. After the table, each
scenario's verdict is printed in full (per metric the classification, the
baseline and canary means, their ratio and 98% interval, a sparkline of each
series read from the service's GET /metricSetPairList/{id}, and the score);
with -o json stdout holds only the JSON report and these summaries go to
stderr. --report-html FILE writes each scenario's verdict as a self-contained
HTML page with a chart per metric: FILE itself when one scenario runs, else
one page per scenario, FILE with "-<scenario>" before its extension
(report.html gives report-healthy.html and report-faulty.html). The service
serves the same page at /report/<analysisId> (the analysisId of -o json).

Exit status 0 only when every scenario got its expected verdict, 1 otherwise.

Needs a deployment that was applied ("ctl deploy apply").`,
		Example: `  ctl deploy apply
  ctl canary smoke
  ctl canary smoke --scenario faulty --duration 15s -o json

  # Local, through a configured Prometheus that reads /tmp/ctl-smoke.json
  # (file_sd_configs) and scrapes every second
  ctl canary smoke --metrics-account my-prometheus --file-sd /tmp/ctl-smoke.json --scrape-interval 1s

  # Distributed, with the Prometheus Operator of kube-prometheus-stack
  ctl canary smoke --service-monitor --service-monitor-label release=kube-prometheus-stack --scrape-interval 5s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSmoke(cmd, f, &fl)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&fl.scenario, "scenario", "all", "Scenario to run: healthy, faulty or all")
	fs.DurationVar(&fl.duration, "duration", 0, "How long load is driven once the series are seen (default 30s; at least 14s, longer at slow scrape intervals)")
	fs.IntVar(&fl.rps, "rps", smoke.DefaultRPS, "Requests per second to each app")
	fs.StringVar(&fl.deployment, "deployment", "", "Name of the deployment to use (default: currentDeployment)")
	fs.StringVar(&fl.reportPath, "report-html", "", "Also write each scenario's verdict as a self-contained HTML page (FILE, or FILE-<scenario>.html when several scenarios run)")
	fs.StringVar(&fl.metricsAccount, "metrics-account", "", "Prometheus account of the service that sees the apps' series (default: local ctl-smoke-prometheus, distributed the default metrics account)")
	fs.StringVar(&fl.fileSD, "file-sd", "", "Local, with --metrics-account: write the apps' targets to this file_sd_configs FILE for that Prometheus to scrape")
	fs.DurationVar(&fl.scrape, "scrape-interval", 0, "Scrape interval of the apps, the analysis step (default 1s with the embedded Prometheus, 5s with --service-monitor, else 15s)")
	fs.DurationVar(&fl.seriesTimeout, "series-timeout", smoke.DefaultSeriesTimeout, "How long to wait for the metrics account to show the apps' series")
	fs.DurationVar(&fl.readyTimeout, "ready-timeout", 3*time.Minute, "Distributed: how long to wait for the apps' pods to be ready")
	fs.StringVar(&fl.serviceURL, "service", "", "Reach the analysis service at this URL (default: the local deployment's, or the API server's service proxy)")
	fs.BoolVar(&fl.serviceMonitor, "service-monitor", false, "Distributed: also create a ServiceMonitor for the apps, for the Prometheus Operator")
	fs.StringToStringVar(&fl.serviceMonitorLabels, "service-monitor-label", nil, "Distributed: label of the ServiceMonitor, KEY=VALUE, for the operator's serviceMonitorSelector (repeatable)")
	_ = cmd.MarkFlagFilename("report-html", "html")
	_ = cmd.MarkFlagFilename("file-sd", "json", "yml", "yaml")
	_ = cmd.RegisterFlagCompletionFunc("scenario", cobra.FixedCompletions([]string{"healthy", "faulty", "all"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("metrics-account", completePrometheusAccounts(f))
	cmdutil.AddOutputFlag(cmd, &fl.format)
	return cmd
}

// completePrometheusAccounts completes the config's prometheus accounts.
func completePrometheusAccounts(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		store, err := f.Store()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		loaded, err := store.Load()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		d, err := loaded.Config.Resolve("")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		if si := d.Canary.Integration("prometheus"); si != nil {
			for _, a := range si.Accounts {
				out = append(out, a.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// prometheusAccount returns the named prometheus account of the deployment,
// or with name empty its default metrics account when that is a prometheus
// one, else its only prometheus account.
func prometheusAccount(d *halconfig.DeploymentConfiguration, name string) (*halconfig.Account, error) {
	si := d.Canary.Integration("prometheus")
	var names []string
	if si != nil {
		for _, a := range si.Accounts {
			names = append(names, a.Name)
		}
	}
	if name == "" {
		name = d.Canary.DefaultMetricsAccount
		if name == "" || si == nil || si.Account(name) == nil {
			if len(names) != 1 {
				if len(names) == 0 {
					return nil, fmt.Errorf("deployment %s has no Prometheus account for the smoke canaries: add the Prometheus that scrapes the apps with `ctl config canary prometheus account add NAME --base-url URL`, then `ctl deploy apply`", d.Name)
				}
				return nil, cmdutil.FlagErrorf("--metrics-account: deployment %s has several Prometheus accounts (%s) and no default metrics account among them: name one", d.Name, strings.Join(names, ", "))
			}
			name = names[0]
		}
	}
	if si == nil || si.Account(name) == nil {
		if _, other := d.Canary.FindAccount(name); other != nil {
			return nil, cmdutil.FlagErrorf("--metrics-account %s is not a Prometheus account: the smoke canaries query Prometheus (accounts: %s)", name, strings.Join(names, ", "))
		}
		return nil, cmdutil.FlagErrorf("--metrics-account %s: deployment %s has no such Prometheus account (accounts: %s)", name, d.Name, strings.Join(names, ", "))
	}
	return si.Account(name), nil
}

func runSmoke(cmd *cobra.Command, f *cmdutil.Factory, fl *smokeFlags) error {
	scenarios, err := smoke.SelectScenarios(fl.scenario)
	if err != nil {
		return cmdutil.FlagErrorf("--scenario: %v", err)
	}
	if fl.format == cmdutil.FormatYAML {
		return cmdutil.FlagErrorf("canary smoke prints json or table")
	}
	if fl.rps <= 0 {
		return cmdutil.FlagErrorf("--rps must be a positive number of requests per second, got %d", fl.rps)
	}
	if fl.scrape < 0 || fl.seriesTimeout <= 0 || fl.readyTimeout <= 0 || fl.duration < 0 {
		return cmdutil.FlagErrorf("--duration, --scrape-interval, --series-timeout and --ready-timeout must be positive")
	}
	store, err := f.Store()
	if err != nil {
		return err
	}
	loaded, err := store.Load()
	if err != nil {
		return err
	}
	d, err := loaded.Config.Resolve(fl.deployment)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errOut := f.IO.ErrOut
	o := smoke.Options{RPS: fl.rps, Progress: errOut, SeriesTimeout: fl.seriesTimeout, ServiceURL: fl.serviceURL, ScrapeInterval: fl.scrape}
	distributed := d.DeploymentEnvironment.Type == halconfig.EnvDistributed
	if !distributed && (fl.serviceMonitor || len(fl.serviceMonitorLabels) > 0) {
		return cmdutil.FlagErrorf("--service-monitor applies to a distributed deployment; %s is local", d.Name)
	}
	if distributed && fl.fileSD != "" {
		return cmdutil.FlagErrorf("--file-sd applies to a local deployment; %s is distributed (its apps are scraped in the cluster)", d.Name)
	}
	if len(fl.serviceMonitorLabels) > 0 && !fl.serviceMonitor {
		return cmdutil.FlagErrorf("--service-monitor-label needs --service-monitor")
	}
	if distributed {
		err = distributedSmoke(ctx, f, store.Home, d, fl, &o)
	} else {
		err = localSmoke(ctx, store.Home, d, fl, &o)
	}
	if err != nil {
		return err
	}
	t := smoke.NewTiming(o.ScrapeInterval)
	o.Duration = fl.duration
	if o.Duration == 0 {
		o.Duration = t.DefaultDuration()
	}
	if o.Duration < t.MinDuration() {
		return cmdutil.FlagErrorf("--duration %s is too short: at least %s at a scrape interval of %s", o.Duration, t.MinDuration(), t.Scrape)
	}
	fmt.Fprintf(errOut, "Smoke canaries on deployment %s (%s): %s for %s\n", d.Name, o.ServiceURL, names(scenarios), o.Duration)
	rep, err := smoke.Run(ctx, o, scenarios)
	if err != nil {
		if rep != nil && errors.Is(err, context.Canceled) {
			fmt.Fprintln(errOut, "Interrupted: everything the run started was stopped and removed.")
		}
		return err
	}
	sumOut := f.IO.Out
	if fl.format == cmdutil.FormatJSON {
		sumOut = errOut
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printSmoke(f, rep)
	}
	reportErr := smokeVerdicts(ctx, f, sumOut, o.ServiceURL, o.HTTPClient, rep, fl.reportPath, fl.format != cmdutil.FormatJSON)
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
}

// distributedSmoke sets o up for a distributed deployment: the apps run as
// Deployments beside the service (smoke.Host), scraped by the
// Prometheus of the metrics account, by default every 15 s (5 s with a
// ServiceMonitor).
func distributedSmoke(ctx context.Context, f *cmdutil.Factory, home string, d *halconfig.DeploymentConfiguration, fl *smokeFlags, o *smoke.Options) error {
	acct, err := prometheusAccount(d, fl.metricsAccount)
	if err != nil {
		return err
	}
	o.MetricsAccount = acct.Name
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = 15 * time.Second
		if fl.serviceMonitor {
			o.ScrapeInterval = 5 * time.Second
		}
	}
	installer.Version = f.Version
	dep, err := installer.For(home, d, f.IO.ErrOut)
	if errors.Is(err, installer.ErrNeedsKubeBinary) {
		return cmdutil.ExecKube(f)
	}
	if err != nil {
		return err
	}
	host, ok := dep.(smoke.Host)
	if !ok {
		return fmt.Errorf("deployment %s: this ctl cannot run smoke canaries in a %s deployment", d.Name, d.DeploymentEnvironment.Type)
	}
	if o.ServiceURL == "" {
		if o.ServiceURL, o.HTTPClient, err = host.ServiceEndpoint(ctx); err != nil {
			return err
		}
	}
	env, err := host.SmokeEnv(smoke.HostOptions{ServiceMonitor: fl.serviceMonitor, ServiceMonitorLabels: fl.serviceMonitorLabels,
		ScrapeInterval: o.ScrapeInterval, ReadyTimeout: fl.readyTimeout})
	if err != nil {
		return err
	}
	o.Env, o.Where = env, "Deployments in namespace "+d.DeploymentEnvironment.Location
	return nil
}

// localSmoke sets o up for a local deployment: the apps run in this
// process, scraped by the embedded Prometheus or, with --metrics-account
// and --file-sd, by a configured one (by default every 1 s and 15 s).
func localSmoke(ctx context.Context, home string, d *halconfig.DeploymentConfiguration, fl *smokeFlags, o *smoke.Options) error {
	st, err := smoke.LocalTarget(ctx, home, d.Name)
	if err != nil {
		return err
	}
	if o.ServiceURL == "" {
		o.ServiceURL = st.URL
	}
	if fl.metricsAccount == "" || fl.metricsAccount == smoke.MetricsAccount {
		if fl.fileSD != "" {
			return cmdutil.FlagErrorf("--file-sd needs --metrics-account: the Prometheus account that reads the file")
		}
		if o.ScrapeInterval == 0 {
			o.ScrapeInterval = smoke.DefaultScrapeInterval
		}
		o.MetricsAccount = smoke.MetricsAccount
		o.Env = &smoke.LocalEnv{StoreListen: smoke.StoreListen(st), ScrapeInterval: smoke.NewTiming(o.ScrapeInterval).Scrape, Progress: o.Progress}
		o.Where = "local processes, embedded Prometheus"
		return nil
	}
	acct, err := prometheusAccount(d, fl.metricsAccount)
	if err != nil {
		return err
	}
	if fl.fileSD == "" {
		return cmdutil.FlagErrorf("--metrics-account %s on a local deployment needs --file-sd FILE: the apps run on loopback ports that only a file_sd_configs file of that Prometheus can point it at", acct.Name)
	}
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = 15 * time.Second
	}
	o.MetricsAccount = acct.Name
	o.Env = &smoke.LocalEnv{FileSD: fl.fileSD, Account: acct.Name, BaseURL: acct.Get("endpoint.baseUrl"), Progress: o.Progress}
	o.Where = "local processes, scraped by the Prometheus of " + acct.Name + " through " + fl.fileSD
	return nil
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
func smokeVerdicts(ctx context.Context, f *cmdutil.Factory, w io.Writer, serviceURL string, client *http.Client, rep *smoke.Report, reportPath string, afterTable bool) error {
	c := newSvcClient(serviceURL, client)
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
				report.Detail{Name: "Service", Value: c.Base})
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
