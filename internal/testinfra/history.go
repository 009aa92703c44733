package testinfra

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// CanaryWindowStart and CanaryWindowLen are the window tests judge over
// CanaryHistory: 30 minutes, starting 3 hours ago on the hour.
var CanaryWindowStart = time.Now().Add(-3 * time.Hour).Truncate(time.Hour)

// CanaryWindowLen is the length of the judged window.
const CanaryWindowLen = 30 * time.Minute

// CanaryHistory returns OpenMetrics text (for WithOpenMetrics) holding
// request counters requests_total{version,code} every 10 s from 5 minutes
// before start to 5 minutes after start+length, at 10 requests a second,
// for three versions: "baseline" and "canary-healthy" with 5% errors and
// "canary-faulty" with 30% errors. The random draws are seeded, so the
// history is the same on every run.
func CanaryHistory(start time.Time, length time.Duration) string {
	rng := rand.New(rand.NewPCG(1, 2))
	type series struct {
		version   string
		errorRate float64
		ok, fail  float64
	}
	all := []*series{{version: "baseline", errorRate: 0.05}, {version: "canary-healthy", errorRate: 0.05}, {version: "canary-faulty", errorRate: 0.30}}
	// OpenMetrics wants each series' samples together.
	bySeries := map[string][]string{}
	var order []string
	add := func(key, line string) {
		if _, ok := bySeries[key]; !ok {
			order = append(order, key)
		}
		bySeries[key] = append(bySeries[key], line)
	}
	for t := start.Add(-5 * time.Minute); !t.After(start.Add(length + 5*time.Minute)); t = t.Add(10 * time.Second) {
		for _, s := range all {
			for range 100 {
				if rng.Float64() < s.errorRate {
					s.fail++
				} else {
					s.ok++
				}
			}
			ts := float64(t.Unix())
			k200 := fmt.Sprintf(`requests_total{version="%s",code="200"}`, s.version)
			k500 := fmt.Sprintf(`requests_total{version="%s",code="500"}`, s.version)
			add(k200, fmt.Sprintf("%s %g %.0f", k200, s.ok, ts))
			add(k500, fmt.Sprintf("%s %g %.0f", k500, s.fail, ts))
		}
	}
	var b strings.Builder
	b.WriteString("# HELP requests Requests served, by version and code.\n# TYPE requests counter\n")
	for _, k := range order {
		for _, l := range bySeries[k] {
			b.WriteString(l + "\n")
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}
