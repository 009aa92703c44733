package canary

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	kcanary "github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/report"
)

// `ctl canary run --interval D` and `--lifetime D`: a standalone canary
// analysis (POST /standalone_canary_analysis, kayenta.md §4) that judges
// the window in intervals over growing windows, as Kayenta's
// SetupAndExecuteCanariesStage does, with ctl's ISO-8601 duration fields so
// that any whole number of seconds works.

// standaloneSpec is what --lifetime and --interval ask for.
type standaloneSpec struct {
	// realTime: --lifetime, judged as time passes (no endTimeIso); else a
	// past window (--start/--end or --lookback) judged at once.
	realTime bool
	// start is --start, or the start of the past window; zero in real time
	// without --start (the service's now).
	start, end time.Time
	lifetime   time.Duration // real time
	interval   time.Duration
	count      int      // judgements the service will run
	notes      []string // what the user should know (printed on stderr)
}

// standaloneFlags are the flags newStandaloneSpec reads.
type standaloneFlags struct {
	startS, endS             string
	lookback                 time.Duration
	lookbackSet              bool
	lifetime, interval       time.Duration
	lifetimeSet, intervalSet bool
	step                     time.Duration
}

// wholeSeconds checks a duration flag: at least 1s, whole seconds.
func wholeSeconds(flag string, d time.Duration) error {
	if d < time.Second || d%time.Second != 0 {
		return fmt.Errorf("%s %s: want a whole number of seconds, at least 1s, e.g. 30s or 5m", flag, d)
	}
	return nil
}

// newStandaloneSpec checks --lifetime and --interval with the window flags.
// It returns nil (and no error) when neither is given: a plain canary run.
func newStandaloneSpec(fl standaloneFlags, now time.Time) (*standaloneSpec, error) {
	if !fl.lifetimeSet && !fl.intervalSet {
		return nil, nil
	}
	s := &standaloneSpec{}
	if fl.intervalSet {
		if err := wholeSeconds("--interval", fl.interval); err != nil {
			return nil, err
		}
	}
	if fl.lifetimeSet {
		switch {
		case fl.lookbackSet:
			return nil, errors.New("--lifetime and --lookback are exclusive: --lifetime judges from --start (default: now) as time passes; " +
				"--lookback judges a past window (add --interval to judge it in intervals)")
		case fl.endS != "":
			return nil, errors.New("--lifetime and --end are exclusive: with --lifetime the analysis ends --lifetime after --start (default: now); " +
				"to judge a past window give --start and --end (add --interval to judge it in intervals)")
		}
		if err := wholeSeconds("--lifetime", fl.lifetime); err != nil {
			return nil, err
		}
		s.realTime, s.lifetime = true, fl.lifetime
		if fl.startS != "" {
			t, err := time.Parse(time.RFC3339, fl.startS)
			if err != nil {
				return nil, fmt.Errorf("--start %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", fl.startS)
			}
			if t.Truncate(time.Second) != t {
				return nil, fmt.Errorf("--start %q: want whole seconds", fl.startS)
			}
			s.start = t
		}
		s.interval = fl.lifetime
		if fl.intervalSet {
			if fl.interval > fl.lifetime {
				return nil, fmt.Errorf("--interval %s is longer than --lifetime %s: give an --interval of at most the lifetime (or leave it out for one judgement at the end)",
					fl.interval, fl.lifetime)
			}
			s.interval = fl.interval
		}
	} else {
		if fl.startS == "" && fl.endS == "" && !fl.lookbackSet {
			return nil, errors.New("--interval needs a window: --start and --end, or --lookback, for a past window; or --lifetime to judge as time passes")
		}
		start, end, err := runWindow(fl.startS, fl.endS, fl.lookback, fl.lookbackSet, now)
		if err != nil {
			return nil, err
		}
		w := end.Sub(start)
		// The service (as Kayenta) counts a fixed window in whole minutes.
		whole := w.Truncate(time.Minute)
		if whole < time.Minute {
			return nil, fmt.Errorf("the window lasts %s: judged in intervals, a past window counts in whole minutes (Kayenta's rule), "+
				"so give one of at least 1m, or use --lifetime to judge as time passes", w)
		}
		if whole != w {
			s.notes = append(s.notes, fmt.Sprintf("the window lasts %s: judged in intervals, a past window counts in whole minutes, so its last %s is not judged", w, w-whole))
		}
		if fl.interval > whole {
			return nil, fmt.Errorf("--interval %s is longer than the window (%s in whole minutes): give an --interval of at most %s", fl.interval, whole, whole)
		}
		s.start, s.end, s.lifetime, s.interval = start, end, whole, fl.interval
	}
	s.count = int(s.lifetime / s.interval)
	if rest := s.lifetime % s.interval; rest != 0 {
		s.notes = append(s.notes, fmt.Sprintf("%s is not a multiple of --interval %s: %d judgements, the last up to %s (the last %s is not judged)",
			s.lifetime, s.interval, s.count, s.lifetime-rest, rest))
	}
	if fl.step > s.interval {
		return nil, fmt.Errorf("--step %s is longer than --interval %s (the first judgement's window): give a --step of at most %s", fl.step, s.interval, s.interval)
	}
	return s, nil
}

// describe is the header line's account of the plan.
func (s *standaloneSpec) describe(step time.Duration) string {
	every := fmt.Sprintf("judged every %s (%d interval", s.interval, s.count)
	if s.count != 1 {
		every += "s, growing windows"
	}
	every += ")"
	if s.realTime {
		from := "now"
		if !s.start.IsZero() {
			from = s.start.UTC().Format(time.RFC3339)
		}
		return fmt.Sprintf("real time from %s for %s, %s, step %s", from, s.lifetime, every, step)
	}
	return fmt.Sprintf("%s – %s, %s, step %s", s.start.UTC().Format(time.RFC3339), s.end.UTC().Format(time.RFC3339), every, step)
}

// executionRequest is the CanaryAnalysisExecutionRequest: one scope per
// scopeName of the config, and ctl's duration fields.
func (s *standaloneSpec) executionRequest(scopeNames []string, control, experiment string, step time.Duration, pass, marginal float64) map[string]any {
	var scopes []any
	for _, name := range scopeNames {
		sc := map[string]any{"scopeName": name, "controlScope": control, "controlLocation": "", "experimentScope": experiment,
			"experimentLocation": "", "step": int64(step / time.Second), "extendedScopeParams": map[string]string{}}
		if !s.start.IsZero() {
			sc["startTimeIso"] = s.start.UTC().Format(time.RFC3339)
		}
		if !s.realTime {
			sc["endTimeIso"] = s.end.UTC().Format(time.RFC3339)
		}
		scopes = append(scopes, sc)
	}
	req := map[string]any{"scopes": scopes, "thresholds": map[string]any{"pass": pass, "marginal": marginal},
		"analysisIntervalDuration": kcanary.FormatISODuration(s.interval)}
	if s.realTime {
		req["lifetimeDuration"] = kcanary.FormatISODuration(s.lifetime)
	}
	return req
}

// standaloneRun is one `ctl canary run` in standalone mode.
type standaloneRun struct {
	f          *cmdutil.Factory
	c          *svcClient
	spec       *standaloneSpec
	body       map[string]any
	query      url.Values
	control    string
	experiment string
	step       time.Duration
	timeout    time.Duration
	format     cmdutil.Format
	configPath string
	reportPath string
}

func (r *standaloneRun) run(ctx context.Context) error {
	errOut := r.f.IO.ErrOut
	for _, n := range r.spec.notes {
		fmt.Fprintln(errOut, "Note: "+n)
	}
	var started struct {
		ID string `json:"canaryAnalysisExecutionId"`
	}
	if err := r.c.Call(ctx, http.MethodPost, "/standalone_canary_analysis?"+r.query.Encode(), r.body, &started); err != nil {
		if strings.Contains(err.Error(), "404") {
			return fmt.Errorf("starting the standalone canary analysis on %s: %w (the service must serve standalone analyses: set kayenta.standaloneCanaryAnalysis.enabled: true in its kayenta.yml)", r.c.Base, err)
		}
		return fmt.Errorf("starting the standalone canary analysis on %s: %w", r.c.Base, err)
	}
	id := started.ID
	fmt.Fprintf(errOut, "Standalone canary analysis %s on %s: control %s, experiment %s, %s\n", id, r.c.Base, r.control, r.experiment, r.spec.describe(r.step))
	prog := &analysisProgress{w: errOut, tty: r.f.IO.IsStderrTTY(), count: r.spec.count}
	a, rawA, err := r.c.waitAnalysis(ctx, id, r.timeout, prog)
	prog.clear()
	if err != nil {
		if ctx.Err() != nil { // Ctrl-C or SIGTERM
			return r.cancel(id)
		}
		return err
	}
	res := a.CanaryAnalysisExecutionResult
	var results []kcanary.ExecutionResult
	if res != nil {
		results = res.CanaryExecutionResults
	}
	if len(results) == 0 {
		if r.format == cmdutil.FormatJSON {
			_ = writeIndented(r.f.IO.Out, rawA)
		}
		return fmt.Errorf("standalone canary analysis %s ended %s with no judgement: %s", id, a.Status, report.ExceptionText(a.Exception))
	}
	last := results[len(results)-1]
	var pairs []judge.MetricSetPair
	note := ""
	if last.Result != nil && last.Result.JudgeResult != nil {
		pairs, note = r.c.pairs(ctx, &kcanary.Execution{MetricSetPairListID: last.MetricSetPairListID, StorageAccountName: last.StorageAccountName})
	}
	out := r.f.IO.Out
	if r.format == cmdutil.FormatJSON {
		if err := writeIndented(out, rawA); err != nil {
			return err
		}
	} else {
		if last.Result != nil && last.Result.JudgeResult != nil {
			if err := report.WriteSummary(out, last.Result.JudgeResult, pairs, r.f.IO.IsStdoutTTY() && r.f.IO.ColorEnabled()); err != nil {
				return err
			}
			fmt.Fprintln(out)
		}
		writeIntervals(out, a, r.spec.count)
	}
	if note != "" {
		fmt.Fprintln(errOut, "Warning: "+note)
	}
	if r.reportPath != "" {
		if err := r.writeReport(ctx, a, last); err != nil {
			return err
		}
	}
	if a.Status != kcanary.StatusSucceeded || res == nil || !res.DidPassThresholds {
		if r.format == cmdutil.FormatJSON {
			fmt.Fprintln(errOut, report.VerdictLine(a))
		}
		return cmdutil.ErrSilent
	}
	return nil
}

// cancel asks the service to cancel an interrupted analysis and says how
// that went; it is always an error (exit 1).
func (r *standaloneRun) cancel(id string) error {
	cctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := r.c.Cancel(cctx, id); err != nil {
		return fmt.Errorf("interrupted, but canceling standalone canary analysis %s on the service failed: %v; cancel it with: curl -X PUT %s/pipelines/%s/cancel",
			id, err, r.c.Base, id)
	}
	status := "unknown"
	if a, _, err := r.c.analysis(cctx, id); err == nil {
		status = a.Status
	}
	return fmt.Errorf("interrupted: standalone canary analysis %s was canceled on the service (status %s)", id, status)
}

// writeReport writes the last judgement's HTML report with the interval
// scores and the analysis verdict as details (report.FromAnalysis).
func (r *standaloneRun) writeReport(ctx context.Context, a *kcanary.Analysis, last kcanary.ExecutionResult) error {
	errOut := r.f.IO.ErrOut
	if last.ExecutionID == "" {
		fmt.Fprintln(errOut, "Warning: the last judgement has no canary execution: no HTML report written")
		return nil
	}
	ex, _, err := r.c.execution(ctx, last.ExecutionID)
	if err != nil {
		return fmt.Errorf("reading the last judgement for the HTML report: %w", err)
	}
	pairs, note := r.c.pairs(ctx, ex)
	rep := report.FromAnalysis(a, ex, pairs, note, r.spec.count)
	rep.Details = append(rep.Details, report.Detail{Name: "Canary config file", Value: r.configPath}, report.Detail{Name: "Service", Value: r.c.Base})
	return writeReportFile(r.reportPath, rep, errOut)
}

// analysis reads GET /standalone_canary_analysis/{id}: decoded and raw.
func (c *svcClient) analysis(ctx context.Context, id string) (*kcanary.Analysis, []byte, error) {
	return getDecoded[kcanary.Analysis](ctx, c, "/standalone_canary_analysis/"+url.PathEscape(id))
}

// waitAnalysis polls a standalone analysis until it is complete, reporting
// each judgement and each wait to prog.
func (c *svcClient) waitAnalysis(ctx context.Context, id string, timeout time.Duration, prog *analysisProgress) (*kcanary.Analysis, []byte, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 100 * time.Millisecond
	status := "not_started"
	timedOut := func() error {
		return fmt.Errorf("standalone canary analysis %s did not complete within --timeout %s (status %s); it goes on on the service: "+
			"GET %s/standalone_canary_analysis/%s shows it, PUT %s/pipelines/%s/cancel stops it", id, timeout, status, c.Base, id, c.Base, id)
	}
	for {
		a, raw, err := c.analysis(tctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if errors.Is(tctx.Err(), context.DeadlineExceeded) {
				return nil, nil, timedOut()
			}
			return nil, nil, fmt.Errorf("reading standalone canary analysis %s: %w", id, err)
		}
		status = a.Status
		prog.update(a, time.Now())
		if a.Complete {
			return a, raw, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-tctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, timedOut()
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// analysisProgress prints a standalone analysis's progress on stderr: a line
// per judgement as it completes, and a countdown of each interval wait (on a
// terminal, one line redrawn in place; otherwise a line when the wait starts
// and one a minute).
type analysisProgress struct {
	w       io.Writer
	tty     bool
	count   int
	printed int // judgements printed

	waitIndex  int       // the wait announced
	lastRemind time.Time // non-TTY: the last "left" line
	onScreen   bool      // TTY: a countdown line is drawn
}

func (p *analysisProgress) clear() {
	if p.onScreen {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.onScreen = false
	}
}

func (p *analysisProgress) update(a *kcanary.Analysis, now time.Time) {
	if a.Plan != nil {
		p.count = a.Plan.Count
	}
	var results []kcanary.ExecutionResult
	if a.CanaryAnalysisExecutionResult != nil {
		results = a.CanaryAnalysisExecutionResult.CanaryExecutionResults
	}
	for ; p.printed < len(results); p.printed++ {
		p.clear()
		er := results[p.printed]
		fmt.Fprintf(p.w, "interval %d/%d: %s, window %s\n", p.printed+1, p.count, strings.ToLower(report.ScoreText(er)), report.WindowText(er))
	}
	if a.Complete || a.Plan == nil || !a.Plan.RealTime {
		return
	}
	next := len(results) + 1
	waiting := false
	for _, st := range a.StageStatus {
		if st.Name == fmt.Sprintf("Interval Wait #%d", next) && st.Status == kcanary.StatusRunning {
			waiting = true
		}
	}
	if !waiting {
		return
	}
	_, end := a.Plan.Window(next)
	left := end.Sub(now).Round(time.Second)
	if left <= 0 {
		return
	}
	until := end.UTC().Format("15:04:05") + " UTC"
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[Kinterval %d/%d: waiting %s, until %s (the end of its window)", next, p.count, left, until)
		p.onScreen = true
		return
	}
	if p.waitIndex != next {
		p.waitIndex, p.lastRemind = next, now
		fmt.Fprintf(p.w, "interval %d/%d: waiting %s, until %s (the end of its window)\n", next, p.count, left, until)
	} else if now.Sub(p.lastRemind) >= time.Minute {
		p.lastRemind = now
		fmt.Fprintf(p.w, "interval %d/%d: %s left\n", next, p.count, left)
	}
}

// writeIntervals prints a line per interval (the ones not run too) and the
// analysis's verdict.
func writeIntervals(w io.Writer, a *kcanary.Analysis, count int) {
	results := a.CanaryAnalysisExecutionResult.CanaryExecutionResults
	count = report.IntervalCount(a, count)
	rows := [][]string{{"INTERVAL", "WINDOW (UTC)", "SCORE", "RESULT"}}
	for i, er := range results {
		score, class := "-", strings.ToLower(er.ExecutionStatus)
		if er.Result != nil && er.Result.JudgeResult != nil {
			score, class = report.Num(float64(er.Result.JudgeResult.Score.Score)), string(er.Result.JudgeResult.Score.Classification)
		} else {
			class += ": " + report.ExceptionText(er.Exception)
		}
		rows = append(rows, []string{fmt.Sprintf("%d/%d", i+1, count), report.WindowText(er), score, class})
	}
	for i := len(results); i < count; i++ {
		win := "-"
		if a.Plan != nil {
			s, e := a.Plan.Window(i + 1)
			win = s.UTC().Format("15:04:05") + "–" + e.UTC().Format("15:04:05")
		}
		rows = append(rows, []string{fmt.Sprintf("%d/%d", i+1, count), win, "-", "not run"})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for j, c := range row {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for j, c := range row {
			b.WriteString(c)
			if j < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-len([]rune(c))+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w, "ANALYSIS: "+report.VerdictLine(a))
}
