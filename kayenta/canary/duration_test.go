package canary

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

func TestParseISODuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		// As Spinnaker writes them.
		{"PT0H3M", 3 * time.Minute},
		{"PT30S", 30 * time.Second},
		{"PT1M30S", 90 * time.Second},
		{"PT2H", 2 * time.Hour},
		{"PT1H2M3S", time.Hour + 2*time.Minute + 3*time.Second},
		{"PT0S", 0},
		{"PT90S", 90 * time.Second}, // not normalised, as Java
		{"PT120M", 2 * time.Hour},
		// Days, as Java's Duration (24 hours).
		{"P1D", 24 * time.Hour},
		{"P2DT3H", 51 * time.Hour},
		{"P0DT6S", 6 * time.Second},
		// Java parses case-insensitively.
		{"pt30s", 30 * time.Second},
		{"Pt1m", time.Minute},
		{"PT100000H", 100000 * time.Hour},
	} {
		got, err := ParseISODuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseISODuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseISODurationErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"30s", `"30s" is not an ISO-8601 duration such as PT30S or PT0H3M`},
		{"", `"" is not an ISO-8601 duration`},
		{"P", "is not an ISO-8601 duration"},
		{"PT", "is not an ISO-8601 duration"},
		{"P1DT", "is not an ISO-8601 duration"},
		{"T30S", "is not an ISO-8601 duration"},
		{"30", "is not an ISO-8601 duration"},
		{"PT30", "is not an ISO-8601 duration"},
		{"P30S", "is not an ISO-8601 duration"}, // seconds need the T
		{"PT1D", "is not an ISO-8601 duration"}, // days come before the T
		{"P1W", "is not an ISO-8601 duration"},  // Java's Duration has no weeks
		{"P1M", "is not an ISO-8601 duration"},  // nor months (that is Period)
		{"P1Y", "is not an ISO-8601 duration"},
		{"PT3M1H", "is not an ISO-8601 duration"}, // out of order
		{"PT1M1M", "is not an ISO-8601 duration"}, // twice
		{"PTS", "is not an ISO-8601 duration"},
		{"PT1H ", "is not an ISO-8601 duration"},
		{" PT1H", "is not an ISO-8601 duration"},
		{"+PT5S", "is not an ISO-8601 duration"},
		{"PT+5S", "is not an ISO-8601 duration"},
		{"1m30s", "is not an ISO-8601 duration"},
		{"PT1.5S", `"PT1.5S" has a fraction of a second: give whole seconds, such as PT30S`},
		{"PT0,5S", "has a fraction of a second"},
		{"PT1.S", "has a fraction of a second"},
		{"PT1.5M", "is not an ISO-8601 duration"},
		{"-PT30S", `"-PT30S" is negative`},
		{"PT-30S", "is negative"},
		{"P-1DT1H", "is negative"},
		{"PT99999999999999999999S", "is too long"},
		{"PT9223372036854775807H", "is too long"},
		{"P200000DT1S", "is too long"},
	} {
		_, err := ParseISODuration(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseISODuration(%q): %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestFormatISODuration(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "PT0S"}, {4 * time.Second, "PT4S"}, {90 * time.Second, "PT1M30S"}, {2 * time.Hour, "PT2H"},
		{48 * time.Hour, "PT48H"}, {time.Hour + time.Second, "PT1H1S"}, {1500 * time.Millisecond, "PT1S"},
	} {
		got := FormatISODuration(c.in)
		if got != c.want {
			t.Errorf("FormatISODuration(%v) = %q, want %q", c.in, got, c.want)
		}
		if back, err := ParseISODuration(got); err != nil || back != c.in.Truncate(time.Second) {
			t.Errorf("round trip of %v: %v %v", c.in, back, err)
		}
	}
}

func TestPlanDurations(t *testing.T) {
	iso := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	for _, c := range []struct {
		name                        string
		req                         AnalysisRequest
		lifetime, interval          time.Duration
		count                       int
		realTime                    bool
		warmup, lookback            time.Duration
		windows                     [][2]time.Duration // offsets from t0
		storedPlanRoundTripsExactly bool
	}{
		{name: "PT6S every PT3S", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "PT6S", AnalysisIntervalDuration: "PT3S"},
			lifetime: 6 * time.Second, interval: 3 * time.Second, count: 2, realTime: true,
			windows: [][2]time.Duration{{0, 3 * time.Second}, {0, 6 * time.Second}}},
		{name: "Spinnaker's PT0H3M", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "PT0H3M", AnalysisIntervalDuration: "PT1M"},
			lifetime: 3 * time.Minute, interval: time.Minute, count: 3, realTime: true,
			windows: [][2]time.Duration{{0, time.Minute}, {0, 2 * time.Minute}, {0, 3 * time.Minute}}},
		{name: "sub-minute interval of a whole-minute lifetime", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](1), AnalysisIntervalDuration: "PT20S"},
			lifetime: time.Minute, interval: 20 * time.Second, count: 3, realTime: true,
			windows: [][2]time.Duration{{0, 20 * time.Second}, {0, 40 * time.Second}, {0, time.Minute}}},
		{name: "equal Mins and Duration are fine", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDurationMins: ptr[int64](2), LifetimeDuration: "PT120S"},
			lifetime: 2 * time.Minute, interval: 2 * time.Minute, count: 1, realTime: true,
			windows: [][2]time.Duration{{0, 2 * time.Minute}}},
		{name: "N is floored", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "PT10S", AnalysisIntervalDuration: "PT4S"},
			lifetime: 10 * time.Second, interval: 4 * time.Second, count: 2, realTime: true,
			windows: [][2]time.Duration{{0, 4 * time.Second}, {0, 8 * time.Second}}},
		{name: "interval over the lifetime is the lifetime", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "PT10S", AnalysisIntervalDuration: "PT1M"},
			lifetime: 10 * time.Second, interval: 10 * time.Second, count: 1, realTime: true,
			windows: [][2]time.Duration{{0, 10 * time.Second}}},
		{name: "warmup and lookback in seconds", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "PT30S", AnalysisIntervalDuration: "PT10S",
			BeginAfterDuration: "PT5S", LookbackDuration: "PT8S"},
			lifetime: 30 * time.Second, interval: 10 * time.Second, count: 3, realTime: true, warmup: 5 * time.Second, lookback: 8 * time.Second,
			windows: [][2]time.Duration{{7 * time.Second, 15 * time.Second}, {17 * time.Second, 25 * time.Second}, {27 * time.Second, 35 * time.Second}}},
		{name: "zero warmup and lookback durations", req: AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "PT4S", BeginAfterDuration: "PT0S", LookbackDuration: "PT0S"},
			lifetime: 4 * time.Second, interval: 4 * time.Second, count: 1, realTime: true,
			windows: [][2]time.Duration{{0, 4 * time.Second}}},
		{name: "endTimeIso: still whole minutes, sub-minute interval", req: AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: iso(0), EndTimeIso: iso(2*time.Minute + 40*time.Second)}},
			LifetimeDuration: "PT10S", AnalysisIntervalDuration: "PT30S", BeginAfterDuration: "PT1M"},
			lifetime: 2 * time.Minute, interval: 30 * time.Second, count: 4, realTime: false, warmup: time.Minute,
			windows: [][2]time.Duration{{0, 30 * time.Second}, {0, time.Minute}, {0, 90 * time.Second}, {0, 2 * time.Minute}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.req.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			p, err := plan(&c.req, t0)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(p.Lifetime, p.Interval, p.Count, p.RealTime, p.Warmup, p.Lookback)
			want := fmt.Sprint(c.lifetime, c.interval, c.count, c.realTime, c.warmup, c.lookback)
			if got != want {
				t.Errorf("lifetime interval count realTime warmup lookback = %s, want %s", got, want)
			}
			// The plan is stored (ctlPlan, in nanoseconds) and a resumed
			// analysis reads it back: sub-minute values survive exactly.
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back AnalysisPlan
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !back.Start.Equal(p.Start) || back.Interval != p.Interval || back.Lifetime != p.Lifetime || back.Warmup != p.Warmup || back.Lookback != p.Lookback || back.Count != p.Count {
				t.Errorf("stored plan %s reads back as %+v", b, back)
			}
			var ws [][2]time.Duration
			for i := 1; i <= back.Count; i++ {
				s, e := back.Window(i)
				ws = append(ws, [2]time.Duration{s.Sub(t0), e.Sub(t0)})
			}
			if fmt.Sprint(ws) != fmt.Sprint(c.windows) {
				t.Errorf("windows %v, want %v", ws, c.windows)
			}
		})
	}
}

func TestValidateDurations(t *testing.T) {
	for _, c := range []struct {
		name string
		req  AnalysisRequest
		want string // "" = valid
	}{
		{"none", AnalysisRequest{}, ""},
		{"Kayenta's fields only", AnalysisRequest{LifetimeDurationMins: ptr[int64](3), AnalysisIntervalMins: ptr[int64](1), BeginAfterMins: 2, LookbackMins: 1}, ""},
		{"all four", AnalysisRequest{LifetimeDuration: "PT6S", AnalysisIntervalDuration: "PT3S", BeginAfterDuration: "PT1S", LookbackDuration: "PT2S"}, ""},
		{"equal pairs", AnalysisRequest{LifetimeDurationMins: ptr[int64](3), LifetimeDuration: "PT3M", AnalysisIntervalMins: ptr[int64](1), AnalysisIntervalDuration: "PT60S",
			BeginAfterMins: 1, BeginAfterDuration: "PT1M", LookbackMins: 2, LookbackDuration: "PT0H2M"}, ""},
		{"0 mins is Kayenta's default for beginAfter", AnalysisRequest{BeginAfterMins: 0, BeginAfterDuration: "PT30S"}, ""},

		{"malformed lifetime", AnalysisRequest{LifetimeDuration: "30s"}, `lifetimeDuration: "30s" is not an ISO-8601 duration such as PT30S or PT0H3M.`},
		{"malformed interval", AnalysisRequest{AnalysisIntervalDuration: "3 minutes"}, `analysisIntervalDuration: "3 minutes" is not an ISO-8601 duration such as PT30S or PT0H3M.`},
		{"malformed beginAfter", AnalysisRequest{BeginAfterDuration: "1m"}, `beginAfterDuration: "1m" is not an ISO-8601 duration`},
		{"malformed lookback", AnalysisRequest{LookbackDuration: "PT"}, `lookbackDuration: "PT" is not an ISO-8601 duration`},
		{"fraction", AnalysisRequest{LifetimeDuration: "PT2.5S"}, `lifetimeDuration: "PT2.5S" has a fraction of a second`},
		{"negative lookback", AnalysisRequest{LookbackDuration: "-PT5S"}, `lookbackDuration: "-PT5S" is negative`},
		{"zero lifetime", AnalysisRequest{LifetimeDuration: "PT0S"}, `lifetimeDuration: "PT0S" is shorter than PT1S`},
		{"zero interval", AnalysisRequest{LifetimeDuration: "PT6S", AnalysisIntervalDuration: "PT0M"}, `analysisIntervalDuration: "PT0M" is shorter than PT1S`},

		{"lifetime conflict", AnalysisRequest{LifetimeDurationMins: ptr[int64](3), LifetimeDuration: "PT30S"},
			`lifetimeDurationMins (3) and lifetimeDuration ("PT30S") are both set and differ`},
		{"interval conflict", AnalysisRequest{AnalysisIntervalMins: ptr[int64](0), AnalysisIntervalDuration: "PT30S"},
			`analysisIntervalMins (0) and analysisIntervalDuration ("PT30S") are both set and differ`},
		{"beginAfter conflict", AnalysisRequest{BeginAfterMins: 1, BeginAfterDuration: "PT0S"},
			`beginAfterMins (1) and beginAfterDuration ("PT0S") are both set and differ`},
		{"lookback conflict", AnalysisRequest{LookbackMins: 5, LookbackDuration: "PT5S"},
			`lookbackMins (5) and lookbackDuration ("PT5S") are both set and differ`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.req.Validate()
			if c.want == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !metrics.IsArgumentError(err) {
				t.Errorf("Validate: %v (argument error %v), want a 400 containing %q", err, metrics.IsArgumentError(err), c.want)
			}
		})
	}
}

func TestPlanDurationErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		req  AnalysisRequest
		want string
	}{
		// Kayenta's whole-minute rule stays for a fixed window: 45 s is 0 minutes.
		{"45-second endTimeIso window", AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: "2024-05-01T12:00:00Z", EndTimeIso: "2024-05-01T12:00:45Z"}}, LifetimeDuration: "PT45S"},
			"the analysis lifetime must be at least one minute: the window from startTimeIso 2024-05-01T12:00:00Z to endTimeIso 2024-05-01T12:00:45Z lasts 45s"},
		{"endTimeIso before startTimeIso", AnalysisRequest{Scopes: []AnalysisScope{{StartTimeIso: "2024-05-01T12:00:00Z", EndTimeIso: "2024-05-01T11:00:00Z"}}},
			"scopes[0].endTimeIso 2024-05-01T11:00:00Z is not after startTimeIso 2024-05-01T12:00:00Z"},
		{"endTimeIso before now", AnalysisRequest{Scopes: []AnalysisScope{{EndTimeIso: "2024-05-01T11:00:00Z"}}},
			"is not after the analysis start (now: no startTimeIso)"},
		{"bad duration reaching the plan", AnalysisRequest{Scopes: []AnalysisScope{{}}, LifetimeDuration: "3m"}, `lifetimeDuration: "3m" is not an ISO-8601 duration`},
		{"no lifetime in either form", AnalysisRequest{Scopes: []AnalysisScope{{}}, AnalysisIntervalDuration: "PT3S"}, "must include either `endTime` or `lifetimeDuration`."},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := plan(&c.req, t0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("plan: %v, want an error containing %q", err, c.want)
			}
		})
	}
}
