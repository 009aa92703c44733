package canary

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/installer"
	kcanary "github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/report"
	"github.com/ctlproject/ctl/smoke/svcclient"
)

func newCmdRun(f *cmdutil.Factory) *cobra.Command {
	var (
		configPath, control, experiment, startS, endS string
		lookback, step, timeout, lifetime, interval   time.Duration
		metricsAccount, service, deployment, reportP  string
		pass, marginal                                float64
		format                                        cmdutil.Format
	)
	cmd := &cobra.Command{
		Use:   "run --canary-config FILE --control SCOPE --experiment SCOPE [--start T --end T | --lookback D] [--interval D] | [--start T] --lifetime D [--interval D]",
		Short: "Run an ad-hoc, retrospective or real-time canary analysis of any canary config through the service",
		Long: `Run a canary analysis of a Kayenta canary config JSON file against a metrics
account of the analysis service, and print the verdict: try a config before a
real rollout, judge a past window, or judge a rollout as it happens.

ctl sends the config with the request (ad hoc: nothing is stored as a canary
config), with --control and --experiment as the scopes of every scopeName the
config's metrics use ("default" when they name none), at --step.

One judgement (POST /canary): over the window --start..--end (RFC 3339 times,
e.g. 2026-01-02T15:04:05Z) or the last --lookback. ctl polls the execution
(progress on stderr) until it is complete, then prints a summary: per metric
the classification, the control and experiment means, their ratio and the 98%
interval, a sparkline of each series (from GET /metricSetPairList/{id}), and
the score. -o json prints the execution as the service returns it (GET
/canary/{id}).

In intervals (POST /standalone_canary_analysis, Kayenta's standalone canary
analysis): with --interval, the window is judged N = window/interval times
over growing windows (start..start+interval, start..start+2·interval, …), all
at once since the window is past. A past window counts in whole minutes, as in
Kayenta. With --lifetime, the analysis runs in real time from --start (default:
now): judgement i runs once start+i·interval has passed, every --interval
(default: one judgement at the end of the lifetime), and it ends early when a
score is at or below --marginal (Kayenta's fail-fast). --lifetime cannot go
with --end or --lookback. Both take whole seconds, so sub-minute analyses work:
ctl sends them as the service's ISO-8601 fields lifetimeDuration and
analysisIntervalDuration (ctl's extension of Kayenta's whole-minute
lifetimeDurationMins and analysisIntervalMins). Progress goes to stderr: a
line per judgement as it completes ("interval 2/3: score 100 (pass), window
12:00:00–12:02:00") and a countdown of each wait. Ctrl-C cancels the analysis
on the service. The output is the summary of the last judgement, a line per
interval and the analysis's verdict (canaryScoreMessage); -o json prints the
analysis as the service returns it (GET /standalone_canary_analysis/{id}).

--report-html also writes the verdict (of the last judgement, with the interval
scores) as one self-contained HTML page with a chart per metric.

The service is the current deployment's: a local one at the URL "ctl deploy
apply" recorded, a distributed one through the Kubernetes API server's service
proxy (with the kubeconfig's credentials). --service names any other (a
port-forward, an ingress, a remote service). --metrics-account names one of the service's
metrics accounts (default: the service's default account).

--pass and --marginal are the score thresholds; when neither is given, the
config's classifier.scoreThresholds are used if it has them, else 95 and 75.

Exit status: 0 when the canary passes (in intervals: when the analysis passed
its thresholds, didPassThresholds), 1 when it is marginal or fails (or the
analysis could not run, or was interrupted), 2 on a usage error (bad flags or
an unreadable config).`,
		Example: `  # The last hour, against the current local deployment
  ctl canary run --canary-config cfg.json --control baseline --experiment canary --lookback 1h

  # A past window, through another service, with an HTML report
  ctl canary run --canary-config cfg.json --control v1 --experiment v2 \
      --start 2026-01-02T14:00:00Z --end 2026-01-02T15:00:00Z --step 60s \
      --service http://localhost:8090 --report-html report.html

  # The same window judged every 15 minutes (4 judgements over growing windows)
  ctl canary run --canary-config cfg.json --control v1 --experiment v2 \
      --start 2026-01-02T14:00:00Z --end 2026-01-02T15:00:00Z --interval 15m

  # From now on, for 30 minutes, judged every 5 minutes; stops early on a failing score
  ctl canary run --canary-config cfg.json --control baseline --experiment canary \
      --lifetime 30m --interval 5m

  # A quick real-time check: 2 judgements 30 seconds apart, at a 5-second step
  ctl canary run --canary-config cfg.json --control baseline --experiment canary \
      --lifetime 1m --interval 30s --step 5s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format == cmdutil.FormatYAML {
				return cmdutil.FlagErrorf("canary run prints json or table")
			}
			if control == "" || experiment == "" {
				return cmdutil.FlagErrorf("--control and --experiment are required")
			}
			fls := cmd.Flags()
			now := time.Now()
			spec, err := newStandaloneSpec(standaloneFlags{startS: startS, endS: endS, lookback: lookback, lookbackSet: fls.Changed("lookback"),
				lifetime: lifetime, lifetimeSet: fls.Changed("lifetime"), interval: interval, intervalSet: fls.Changed("interval"), step: step}, now)
			if err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			var start, end time.Time
			if spec == nil {
				if start, end, err = runWindow(startS, endS, lookback, fls.Changed("lookback"), now); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
			}
			if step < time.Second || step%time.Second != 0 {
				return cmdutil.FlagErrorf("--step %s: want a whole number of seconds, at least 1s", step)
			}
			if spec == nil && step > end.Sub(start) {
				return cmdutil.FlagErrorf("--step %s is longer than the window (%s)", step, end.Sub(start))
			}
			if timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout must be positive")
			}
			if spec != nil && spec.realTime {
				left := spec.lifetime // from now, or from --start
				if !spec.start.IsZero() {
					left = max(spec.start.Add(spec.lifetime).Sub(now), 0)
				}
				if !fls.Changed("timeout") {
					timeout = left + 10*time.Minute
				} else if timeout < left {
					return cmdutil.FlagErrorf("--timeout %s is shorter than what is left of the analysis (%s): give a longer --timeout, or leave it out", timeout, left)
				}
			}
			raw, err := os.ReadFile(configPath)
			if err != nil {
				return cmdutil.FlagErrorf("--canary-config: %v", err)
			}
			cfg, err := judge.ParseCanaryConfig(raw, configPath)
			if err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if len(cfg.Metrics) == 0 {
				return cmdutil.FlagErrorf("--canary-config %s has no metrics", configPath)
			}
			passChanged, margChanged := cmd.Flags().Changed("pass"), cmd.Flags().Changed("marginal")
			if !passChanged && !margChanged && cfg.ScoreThresholds != nil {
				pass, marginal = cfg.ScoreThresholds.Pass, cfg.ScoreThresholds.Marginal
			}
			if marginal > pass {
				return cmdutil.FlagErrorf("--marginal (%g) must not be above --pass (%g)", marginal, pass)
			}
			if pass < 0 || pass > 100 || marginal < 0 {
				return cmdutil.FlagErrorf("--pass and --marginal are scores between 0 and 100")
			}
			client := &http.Client{Timeout: 30 * time.Second}
			if service == "" {
				service, client, err = deploymentService(cmd.Context(), f, deployment)
				if err != nil {
					return err
				}
			} else if u, err := url.Parse(service); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return cmdutil.FlagErrorf("--service %q: want an http(s)://host:port URL", service)
			}
			c := newSvcClient(service, client)

			scopes := map[string]any{}
			var scopeNames []string
			for _, m := range cfg.Metrics {
				name := m.ScopeName
				if name == "" {
					name = "default"
				}
				if _, seen := scopes[name]; !seen {
					scopeNames = append(scopeNames, name)
				}
				sc := func(s string) map[string]any {
					return map[string]any{"scope": s, "location": "", "start": start.UTC().Format(time.RFC3339),
						"end": end.UTC().Format(time.RFC3339), "step": int64(step / time.Second)}
				}
				scopes[name] = map[string]any{"controlScope": sc(control), "experimentScope": sc(experiment)}
			}
			var hdr struct {
				Applications []string `json:"applications"`
			}
			_ = json.Unmarshal(raw, &hdr)
			app := "ctl-run"
			if len(hdr.Applications) > 0 && hdr.Applications[0] != "" {
				app = hdr.Applications[0]
			}
			body := map[string]any{
				"canaryConfig":     json.RawMessage(raw),
				"executionRequest": map[string]any{"scopes": scopes, "thresholds": map[string]any{"pass": pass, "marginal": marginal}},
			}
			q := url.Values{"application": {app}}
			if metricsAccount != "" {
				q.Set("metricsAccountName", metricsAccount)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if spec != nil {
				body["executionRequest"] = spec.executionRequest(scopeNames, control, experiment, step, pass, marginal)
				r := &standaloneRun{f: f, c: c, spec: spec, body: body, query: q, control: control, experiment: experiment,
					step: step, timeout: timeout, format: format, configPath: configPath, reportPath: reportP}
				return r.run(ctx)
			}
			errOut := f.IO.ErrOut
			var started struct {
				ID string `json:"canaryExecutionId"`
			}
			if err := c.Call(ctx, http.MethodPost, "/canary?"+q.Encode(), body, &started); err != nil {
				return fmt.Errorf("starting the canary execution on %s: %w", c.Base, err)
			}
			fmt.Fprintf(errOut, "Canary execution %s on %s: control %s, experiment %s, %s – %s, step %s\n", started.ID, c.Base,
				control, experiment, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), step)
			ex, rawEx, err := c.wait(ctx, started.ID, timeout, errOut)
			if err != nil {
				if ctx.Err() != nil {
					cctx, done := context.WithTimeout(context.Background(), 3*time.Second)
					_ = c.Cancel(cctx, started.ID)
					done()
				}
				return err
			}
			if ex.Result == nil || ex.Result.JudgeResult == nil {
				msg := "no judge result"
				if ex.Exception != nil && ex.Exception.Message != "" {
					msg = ex.Exception.Message
				}
				if format == cmdutil.FormatJSON {
					_ = writeIndented(f.IO.Out, rawEx)
				}
				return fmt.Errorf("canary execution %s ended %s: %s", started.ID, ex.Status, msg)
			}
			pairs, note := c.pairs(ctx, ex)
			if format == cmdutil.FormatJSON {
				if err := writeIndented(f.IO.Out, rawEx); err != nil {
					return err
				}
			} else if err := report.WriteSummary(f.IO.Out, ex.Result.JudgeResult, pairs, f.IO.IsStdoutTTY() && f.IO.ColorEnabled()); err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintln(errOut, "Warning: "+note)
			}
			if reportP != "" {
				r := report.FromExecution(started.ID, ex, pairs, "")
				r.Details = append(r.Details, report.Detail{Name: "Canary config file", Value: configPath},
					report.Detail{Name: "Service", Value: c.Base})
				if err := writeReportFile(reportP, r, errOut); err != nil {
					return err
				}
			}
			if ex.Result.JudgeResult.Score.Classification != judge.ScorePass {
				return cmdutil.ErrSilent
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&configPath, "canary-config", "", "Kayenta canary config JSON file (required)")
	fl.StringVar(&control, "control", "", "Scope of the control (baseline), e.g. a server group or a label value (required)")
	fl.StringVar(&experiment, "experiment", "", "Scope of the experiment (canary) (required)")
	fl.StringVar(&startS, "start", "", "Start of the analysed window, RFC 3339 (with --end)")
	fl.StringVar(&endS, "end", "", "End of the analysed window, RFC 3339 (with --start)")
	fl.DurationVar(&lookback, "lookback", 0, "Analyse the window that ends now and lasted this long (instead of --start/--end)")
	fl.DurationVar(&step, "step", 60*time.Second, "Resolution of the series, whole seconds")
	fl.StringVar(&metricsAccount, "metrics-account", "", "Metrics account of the service (default: its default account)")
	fl.StringVar(&service, "service", "", "URL of the analysis service (default: the current deployment's)")
	fl.StringVar(&deployment, "deployment", "", "Deployment whose service to use when --service is not given (default: currentDeployment)")
	fl.Float64Var(&pass, "pass", 95, "Score at or above which the canary passes")
	fl.Float64Var(&marginal, "marginal", 75, "Score at or below which the canary fails")
	fl.StringVar(&reportP, "report-html", "", "Also write the verdict as a self-contained HTML page to this file")
	fl.DurationVar(&interval, "interval", 0, "Judge in intervals of this length over growing windows, as a standalone analysis (whole seconds, e.g. 30s or 5m)")
	fl.DurationVar(&lifetime, "lifetime", 0, "Judge in real time, from --start (default: now) for this long, every --interval; ends early at a score at or below --marginal")
	fl.DurationVar(&timeout, "timeout", 10*time.Minute, "How long to wait for the analysis to complete (with --lifetime: default what is left of it plus 10m)")
	_ = cmd.MarkFlagRequired("canary-config")
	_ = cmd.MarkFlagRequired("control")
	_ = cmd.MarkFlagRequired("experiment")
	_ = cmd.MarkFlagFilename("canary-config", "json")
	_ = cmd.MarkFlagFilename("report-html", "html")
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

// runWindow checks the window flags: either --start and --end, or --lookback.
func runWindow(startS, endS string, lookback time.Duration, lookbackSet bool, now time.Time) (time.Time, time.Time, error) {
	var zero time.Time
	switch {
	case lookbackSet && (startS != "" || endS != ""):
		return zero, zero, errors.New("--lookback and --start/--end are exclusive: give one or the other")
	case lookbackSet:
		if lookback <= 0 {
			return zero, zero, fmt.Errorf("--lookback %s: want a positive duration, e.g. 1h", lookback)
		}
		end := now.Truncate(time.Second)
		return end.Add(-lookback), end, nil
	case startS == "" && endS == "":
		return zero, zero, errors.New("give the window: --start and --end, or --lookback")
	case startS == "" || endS == "":
		return zero, zero, errors.New("--start and --end go together")
	}
	start, err := time.Parse(time.RFC3339, startS)
	if err != nil {
		return zero, zero, fmt.Errorf("--start %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", startS)
	}
	end, err := time.Parse(time.RFC3339, endS)
	if err != nil {
		return zero, zero, fmt.Errorf("--end %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", endS)
	}
	if !start.Before(end) {
		return zero, zero, fmt.Errorf("--start %s is not before --end %s", startS, endS)
	}
	return start, end, nil
}

// deploymentService is the URL of the deployment's service and the client
// to reach it with, from its deployer (installer.ServiceHost): a local
// one's recorded URL, a distributed one's API server service proxy.
func deploymentService(ctx context.Context, f *cmdutil.Factory, deployment string) (string, *http.Client, error) {
	store, err := f.Store()
	if err != nil {
		return "", nil, err
	}
	loaded, err := store.Load()
	if err != nil {
		return "", nil, err
	}
	d, err := loaded.Config.Resolve(deployment)
	if err != nil {
		return "", nil, err
	}
	dep, err := installer.For(store.Home, d, f.IO.ErrOut)
	if errors.Is(err, installer.ErrNeedsKubeBinary) {
		// The service in the cluster, through the API server's service
		// proxy: ctl-kube does that (it links client-go).
		return "", nil, cmdutil.ExecKube(f)
	}
	if err != nil {
		return "", nil, err
	}
	host, ok := dep.(installer.ServiceHost)
	if !ok {
		return "", nil, fmt.Errorf("deployment %s: give the analysis service's URL with --service", d.Name)
	}
	base, client, err := host.ServiceEndpoint(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("%w, or give the service's URL with --service", err)
	}
	return base, client, nil
}

// svcClient talks to the analysis service's Kayenta API, with the reads
// that `ctl canary run` and the smoke verdicts decode into the service's
// own types.
type svcClient struct{ *svcclient.Client }

func newSvcClient(base string, hc *http.Client) *svcClient {
	return &svcClient{svcclient.New(base, hc)}
}

// execution reads GET /canary/{id}: decoded and raw.
func (c *svcClient) execution(ctx context.Context, id string) (*kcanary.Execution, []byte, error) {
	return getDecoded[kcanary.Execution](ctx, c, "/canary/"+url.PathEscape(id))
}

// getDecoded GETs path and returns the answer decoded into a T, and raw.
func getDecoded[T any](ctx context.Context, c *svcClient, path string) (*T, []byte, error) {
	var raw []byte
	if err := c.Call(ctx, http.MethodGet, path, nil, &raw); err != nil {
		return nil, nil, err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return &v, raw, nil
}

// wait polls an execution until it is complete, printing status changes.
func (c *svcClient) wait(ctx context.Context, id string, timeout time.Duration, progress io.Writer) (*kcanary.Execution, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	delay := 100 * time.Millisecond
	for {
		ex, raw, err := c.execution(ctx, id)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, nil, fmt.Errorf("canary execution %s did not complete within %s (status %s)", id, timeout, last)
			}
			return nil, nil, fmt.Errorf("reading canary execution %s: %w", id, err)
		}
		if ex.Status != last && progress != nil {
			fmt.Fprintf(progress, "  status %s\n", ex.Status)
			last = ex.Status
		}
		if ex.Complete {
			return ex, raw, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, nil, fmt.Errorf("canary execution %s did not complete within %s (status %s)", id, timeout, last)
			}
			return nil, nil, fmt.Errorf("canary execution %s: interrupted (asked the service to cancel it)", id)
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// pairs reads an execution's metric set pair list; when it cannot, note
// says why (the summary is then printed without series).
func (c *svcClient) pairs(ctx context.Context, ex *kcanary.Execution) ([]judge.MetricSetPair, string) {
	if ex.MetricSetPairListID == "" {
		return nil, "the execution has no metricSetPairListId: no series to draw"
	}
	q := ""
	if ex.StorageAccountName != "" {
		q = "?accountName=" + url.QueryEscape(ex.StorageAccountName)
	}
	var raw []byte
	if err := c.Call(ctx, http.MethodGet, "/metricSetPairList/"+url.PathEscape(ex.MetricSetPairListID)+q, nil, &raw); err != nil {
		return nil, "cannot read the metric set pairs: " + err.Error()
	}
	pairs, err := judge.ParseMetricSetPairList(raw, "metricSetPairList "+ex.MetricSetPairListID)
	if err != nil {
		return nil, "cannot read the metric set pairs: " + err.Error()
	}
	return pairs, ""
}

// writeReportFile writes r as an HTML page to path and says where.
func writeReportFile(path string, r report.Report, errOut io.Writer) error {
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fmt.Fprintf(errOut, "HTML report written to %s\n", abs)
	return nil
}

func writeIndented(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
