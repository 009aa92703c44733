package canary

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

// isoExample is what a malformed duration's message shows.
const isoExample = "PT30S or PT0H3M"

// ParseISODuration reads an ISO-8601 duration the way Java's Duration.parse
// reads the ones Spinnaker writes ("PT0H3M", "PT30S", "PT1M30S", "PT2H",
// "P1D", "P1DT12H"): P, optional days, then T and optional hours, minutes
// and seconds, in that order, at least one part. Letters may be lower case,
// as Java allows. Unlike Java it refuses signs (a negative duration) and
// fractions of a second: every part is a whole number.
func ParseISODuration(s string) (time.Duration, error) {
	malformed := fmt.Errorf("%q is not an ISO-8601 duration such as %s", s, isoExample)
	u := strings.ToUpper(s)
	if strings.Contains(u, "-") {
		if _, err := ParseISODuration(strings.ReplaceAll(s, "-", "")); err == nil {
			return 0, fmt.Errorf("%q is negative: give a duration of zero or more, such as %s", s, isoExample)
		}
		return 0, malformed
	}
	rest, ok := strings.CutPrefix(u, "P")
	if !ok || rest == "" {
		return 0, malformed
	}
	datePart, timePart, hasT := strings.Cut(rest, "T")
	if hasT && timePart == "" {
		return 0, malformed // "P1DT"
	}
	tooLong := fmt.Errorf("%q is too long: at most about 290 years", s)
	var total time.Duration
	parts := 0
	// add adds n units, refusing overflow.
	add := func(n int64, unit time.Duration) error {
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return tooLong
		}
		total += time.Duration(n) * unit
		parts++
		return nil
	}
	if datePart != "" {
		n, tail, err := leadingNumber(datePart)
		if errors.Is(err, errNumberTooLarge) {
			return 0, tooLong
		}
		if err != nil || tail != "D" {
			return 0, malformed // weeks, months and years are not durations in Java either
		}
		if err := add(n, 24*time.Hour); err != nil {
			return 0, err
		}
	}
	units := []struct {
		letter byte
		unit   time.Duration
	}{{'H', time.Hour}, {'M', time.Minute}, {'S', time.Second}}
	next := 0 // the units must come in order, each at most once
	for timePart != "" {
		n, tail, err := leadingNumber(timePart)
		if errors.Is(err, errNumberTooLarge) {
			return 0, tooLong
		}
		if err != nil {
			return 0, malformed
		}
		if tail != "" && (tail[0] == '.' || tail[0] == ',') {
			frac := strings.TrimLeft(tail[1:], "0123456789")
			if frac == "S" {
				return 0, fmt.Errorf("%q has a fraction of a second: give whole seconds, such as PT30S", s)
			}
			return 0, malformed
		}
		if tail == "" {
			return 0, malformed
		}
		i := next
		for i < len(units) && units[i].letter != tail[0] {
			i++
		}
		if i == len(units) {
			return 0, malformed
		}
		if err := add(n, units[i].unit); err != nil {
			return 0, err
		}
		next = i + 1
		timePart = tail[1:]
	}
	if parts == 0 {
		return 0, malformed
	}
	return total, nil
}

var errNumberTooLarge = errors.New("number too large")

// leadingNumber splits s into its leading decimal digits (at least one) and
// the rest.
func leadingNumber(s string) (int64, string, error) {
	i := 0
	var n int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n > (math.MaxInt64-9)/10 {
			return 0, "", errNumberTooLarge
		}
		n = n*10 + int64(s[i]-'0')
		i++
	}
	if i == 0 {
		return 0, "", errors.New("no number")
	}
	return n, s[i:], nil
}

// FormatISODuration writes d, in whole seconds, as Java's Duration.toString
// does: "PT4S", "PT1M30S", "PT2H", "PT48H"; zero is "PT0S". A fraction of a
// second is dropped.
func FormatISODuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("PT")
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d -= m * time.Minute
	}
	if d > 0 {
		fmt.Fprintf(&b, "%dS", d/time.Second)
	}
	return b.String()
}

// analysisTimes are a request's lifetime, interval, warmup and lookback,
// from Kayenta's *Mins fields or ctl's *Duration fields.
type analysisTimes struct {
	lifetime, interval   *time.Duration // nil when not given
	lifetimeFromDuration bool           // lifetime came from lifetimeDuration
	beginAfter, lookback time.Duration
}

// durationPair is one *Mins field and its ctl *Duration counterpart.
type durationPair struct {
	minsField, durField string
	mins                *int64 // nil, or for the int fields 0, when not given
	dur                 string
	min                 time.Duration // the least value the duration form takes
}

// resolve returns the pair's value (nil when neither field is given).
func (p durationPair) resolve() (*time.Duration, bool, error) {
	if p.dur == "" {
		if p.mins == nil {
			return nil, false, nil
		}
		d := time.Duration(*p.mins) * time.Minute
		return &d, false, nil
	}
	d, err := ParseISODuration(p.dur)
	if err != nil {
		return nil, false, metrics.Argumentf("%s: %v.", p.durField, err)
	}
	if d < p.min {
		return nil, false, metrics.Argumentf("%s: %q is shorter than %s: give at least %s, such as PT30S.", p.durField, p.dur, FormatISODuration(p.min), FormatISODuration(p.min))
	}
	if p.mins != nil && time.Duration(*p.mins)*time.Minute != d {
		return nil, false, metrics.Argumentf("%s (%d) and %s (%q) are both set and differ: give only %s (it takes sub-minute values such as PT30S), or make them equal.",
			p.minsField, *p.mins, p.durField, p.dur, p.durField)
	}
	return &d, true, nil
}

// times resolves the request's durations: each *Duration field, when set,
// replaces its *Mins field. A malformed duration, one under its minimum, or
// one that differs from a *Mins field also given is a metrics.ArgumentError
// (a 400) naming the fields.
func (r *AnalysisRequest) times() (analysisTimes, error) {
	var t analysisTimes
	var err error
	if t.lifetime, t.lifetimeFromDuration, err = (durationPair{"lifetimeDurationMins", "lifetimeDuration", r.LifetimeDurationMins, r.LifetimeDuration, time.Second}).resolve(); err != nil {
		return t, err
	}
	if t.interval, _, err = (durationPair{"analysisIntervalMins", "analysisIntervalDuration", r.AnalysisIntervalMins, r.AnalysisIntervalDuration, time.Second}).resolve(); err != nil {
		return t, err
	}
	// beginAfterMins and lookbackMins default to 0, so 0 means "not given".
	nonZero := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	for _, f := range []struct {
		pair durationPair
		out  *time.Duration
	}{
		{durationPair{"beginAfterMins", "beginAfterDuration", nonZero(r.BeginAfterMins), r.BeginAfterDuration, 0}, &t.beginAfter},
		{durationPair{"lookbackMins", "lookbackDuration", nonZero(r.LookbackMins), r.LookbackDuration, 0}, &t.lookback},
	} {
		d, _, err := f.pair.resolve()
		if err != nil {
			return t, err
		}
		if d != nil {
			*f.out = *d
		}
	}
	return t, nil
}

// Validate checks ctl's duration fields (lifetimeDuration,
// analysisIntervalDuration, beginAfterDuration, lookbackDuration) as the API
// does before storing anything: a metrics.ArgumentError (400) when one is
// malformed, too short, or differs from its *Mins field. Everything Kayenta
// checks only once the analysis runs (a missing lifetime, empty scopes) is
// left to the analysis, as Kayenta does.
func (r *AnalysisRequest) Validate() error {
	_, err := r.times()
	return err
}
