package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

// Chart geometry, in SVG user units.
const (
	chartW      = 720
	chartH      = 260
	marginLeft  = 68
	marginRight = 16
	marginTop   = 30
	marginBot   = 42
	plotW       = chartW - marginLeft - marginRight
	plotH       = chartH - marginTop - marginBot
)

// PairScopes reads a pair's scopes (metrics.PairScopes). ok is false unless
// both sides have a start and a positive step.
func PairScopes(p *judge.MetricSetPair) (control, experiment metrics.PairScope, ok bool) {
	var s metrics.PairScopes
	if p == nil || json.Unmarshal(p.Scopes, &s) != nil {
		return control, experiment, false
	}
	c, e := s.Control, s.Experiment
	return c, e, c.StepMillis > 0 && e.StepMillis > 0 && c.StartTimeMillis > 0 && e.StartTimeMillis > 0
}

// chart is an SVG chart of one metric, laid out for the template.
type chart struct {
	Label            string // aria label
	NoData           bool
	ControlPath      string // SVG path data; "" when the side has no drawable value
	ExperimentPath   string
	ControlDots      []point // isolated values (no drawable neighbour)
	ExperimentDots   []point
	XTicks, YTicks   []tick
	XTitle           string
	Notes            []string // e.g. infinite values not drawn, different starts
	W, H             int
	PlotX, PlotY     int
	PlotW, PlotH     int
	PlotRight        int
	PlotBottom       int
	LegendY          int
	LegendSwatchY    int
	LegendCtlTextX   int
	LegendExpX       int
	LegendExpTextX   int
	TickEnd          int
	MidY             int
	XTitleX, XTitleY int
}

type point struct{ X, Y string }

type tick struct {
	Pos   string // x (XTicks) or y (YTicks) of the tick
	Label string
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// buildChart lays out the control and experiment series of p.
func buildChart(label string, p *judge.MetricSetPair) chart {
	c := chart{Label: "Control and experiment values of " + label + " over time", W: chartW, H: chartH,
		PlotX: marginLeft, PlotY: marginTop, PlotW: plotW, PlotH: plotH,
		PlotRight: marginLeft + plotW, PlotBottom: marginTop + plotH, LegendY: 16,
		LegendSwatchY: 11, LegendCtlTextX: marginLeft + 24, LegendExpX: marginLeft + 90, LegendExpTextX: marginLeft + 114,
		TickEnd: marginTop + plotH + 5, MidY: marginTop + plotH/2,
		XTitleX: marginLeft + plotW/2, XTitleY: chartH - 6}
	if p == nil {
		c.NoData = true
		c.Notes = append(c.Notes, "No metric set pair was stored for this metric.")
		return c
	}
	ctl, exp := p.Values.Control, p.Values.Experiment
	lo, hi := finiteRange(ctl, exp)
	if math.IsNaN(lo) {
		c.NoData = true
		return c
	}
	if inf := countInf(ctl) + countInf(exp); inf > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d infinite value(s) not drawn.", inf))
	}
	// y scale with nice ticks.
	if hi == lo {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	// A little room so that lines at the extremes stay off the axes; data
	// that never goes below zero keeps zero as the floor.
	pad := (hi - lo) * 0.05
	if lo >= 0 {
		lo = max(0, lo-pad)
	} else {
		lo -= pad
	}
	hi += pad
	step := niceStep((hi - lo) / 5)
	ylo, yhi := math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	yOf := func(v float64) float64 { return marginTop + plotH - (v-ylo)/(yhi-ylo)*plotH }
	for i := 0; ; i++ {
		v := ylo + float64(i)*step
		if v > yhi+step/1e6 {
			break
		}
		if math.Abs(v) < step/1e9 {
			v = 0
		}
		c.YTicks = append(c.YTicks, tick{Pos: f1(yOf(v)), Label: Num(v)})
	}

	// x scale: time offsets when both scopes are known, else indexes.
	n := max(len(ctl), len(exp))
	cs, es, timed := PairScopes(p)
	var xOf func(side, k int) float64 // side 0 control, 1 experiment
	if timed {
		span := float64(max(int64(len(ctl)-1)*cs.StepMillis, int64(len(exp)-1)*es.StepMillis, 1))
		xOf = func(side, k int) float64 {
			st := cs.StepMillis
			if side == 1 {
				st = es.StepMillis
			}
			return marginLeft + float64(int64(k)*st)/span*plotW
		}
		sameStart := cs.StartTimeMillis == es.StartTimeMillis
		c.XTicks = timeTicks(es.StartTimeMillis, int64(span), sameStart, func(off int64) float64 {
			return marginLeft + float64(off)/span*plotW
		})
		if sameStart {
			c.XTitle = "time (UTC), step " + (time.Duration(es.StepMillis) * time.Millisecond).String()
		} else {
			c.XTitle = "time since each series' start, step " + (time.Duration(es.StepMillis) * time.Millisecond).String()
			c.Notes = append(c.Notes, fmt.Sprintf("Control starts at %s, experiment at %s; both are drawn from their start.",
				fmtMillis(cs.StartTimeMillis), fmtMillis(es.StartTimeMillis)))
		}
	} else {
		span := float64(max(n-1, 1))
		xOf = func(_, k int) float64 { return marginLeft + float64(k)/span*plotW }
		st := max(1, niceStep(span/6))
		for v := 0.0; v <= span+1e-9; v += st {
			c.XTicks = append(c.XTicks, tick{Pos: f1(marginLeft + v/span*plotW), Label: strconv.Itoa(int(v))})
		}
		c.XTitle = "sample index"
	}
	c.ControlPath, c.ControlDots = seriesPath(ctl, func(k int) float64 { return xOf(0, k) }, yOf)
	c.ExperimentPath, c.ExperimentDots = seriesPath(exp, func(k int) float64 { return xOf(1, k) }, yOf)
	return c
}

func drawable(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func countInf(vs []float64) int {
	n := 0
	for _, v := range vs {
		if math.IsInf(v, 0) {
			n++
		}
	}
	return n
}

// seriesPath returns SVG path data for vals, broken at missing values, and
// the values with no drawable neighbour (drawn as dots).
func seriesPath(vals []float64, xOf func(int) float64, yOf func(float64) float64) (string, []point) {
	var sb strings.Builder
	var dots []point
	for k, v := range vals {
		if !drawable(v) {
			continue
		}
		prev := k > 0 && drawable(vals[k-1])
		next := k+1 < len(vals) && drawable(vals[k+1])
		x, y := f1(xOf(k)), f1(yOf(v))
		if !prev && !next {
			dots = append(dots, point{x, y})
			continue
		}
		if prev {
			sb.WriteString("L" + x + " " + y)
		} else {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString("M" + x + " " + y)
		}
	}
	return sb.String(), dots
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

var timeSteps = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// timeTicks places up to about six ticks over [start, start+span] ms. With
// absolute, ticks sit on round UTC times and show the clock; otherwise they
// show the offset from the start (+5m).
func timeTicks(start, span int64, absolute bool, xOf func(off int64) float64) []tick {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s.Milliseconds() <= 6 {
			step = s
			break
		}
	}
	sm := step.Milliseconds()
	for span/sm > 6 { // spans beyond days
		sm *= 2
	}
	var out []tick
	first := int64(0)
	if absolute {
		first = (start+sm-1)/sm*sm - start // first round time at or after start
	}
	for off := first; off <= span; off += sm {
		var label string
		if absolute {
			t := time.UnixMilli(start + off).UTC()
			switch {
			case span >= 24*time.Hour.Milliseconds():
				label = t.Format("01-02 15:04")
			case sm < time.Minute.Milliseconds():
				label = t.Format("15:04:05")
			default:
				label = t.Format("15:04")
			}
		} else {
			label = offsetLabel(time.Duration(off) * time.Millisecond)
		}
		out = append(out, tick{Pos: f1(xOf(off)), Label: label})
	}
	return out
}

func fmtMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05 UTC")
}

// offsetLabel writes d as 0, +30s, +1m15s, +2h, +1h30m.
func offsetLabel(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	s := d.String() // e.g. 1h30m0s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return "+" + s
}
