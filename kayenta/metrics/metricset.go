package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ctlproject/ctl/kayenta/judge"
)

// MetricSet is one time series of one metric for one scope, as a metrics store
// returns it (Kayenta's metrics/MetricSet.java). Values[k] is the sample at
// StartTimeMillis + k·StepMillis; NaN marks a missing sample.
type MetricSet struct {
	// Name is the canary metric config's name.
	Name string
	// Tags are the series' labels (for Prometheus: the labels without
	// __name__). Series of the control and the experiment are paired by equal
	// tag maps. Nil and empty mean the same and are written as {}.
	Tags map[string]string
	// StartTimeMillis and StartTimeIso are the time of Values[0].
	StartTimeMillis int64
	StartTimeIso    string
	// EndTimeMillis and EndTimeIso end the series; Kayenta sets them to
	// start + len(values)·step, so that ExpectedDataPoints is the length.
	EndTimeMillis int64
	EndTimeIso    string
	// StepMillis is the spacing of Values (0 when unknown, e.g. one sample).
	StepMillis int64
	Values     []float64
	// Attributes carry provider details; Prometheus sets "query" to the PromQL.
	// Nil and empty are both written as {}.
	Attributes map[string]string
}

// ExpectedDataPoints is Kayenta's MetricSet.expectedDataPoints():
// (end − start) / step, or 0 when the step is 0. The mixer pads Values with
// NaN up to this length.
func (m *MetricSet) ExpectedDataPoints() int {
	if m.StepMillis <= 0 || m.EndTimeMillis <= m.StartTimeMillis {
		return 0
	}
	return int((m.EndTimeMillis - m.StartTimeMillis) / m.StepMillis)
}

// metricSetJSON is the wire form; the field order is that of MetricSet.java.
type metricSetJSON struct {
	Name            string            `json:"name"`
	Tags            map[string]string `json:"tags"`
	StartTimeMillis int64             `json:"startTimeMillis"`
	StartTimeIso    string            `json:"startTimeIso"`
	EndTimeMillis   int64             `json:"endTimeMillis"`
	EndTimeIso      string            `json:"endTimeIso"`
	StepMillis      int64             `json:"stepMillis"`
	Values          Values            `json:"values"`
	Attributes      map[string]string `json:"attributes"`
}

// MarshalJSON writes Kayenta's MetricSet JSON. Tags and attributes are always
// objects and values always an array (Lombok @Singular never leaves them null).
func (m MetricSet) MarshalJSON() ([]byte, error) {
	w := metricSetJSON{
		Name:            m.Name,
		Tags:            m.Tags,
		StartTimeMillis: m.StartTimeMillis,
		StartTimeIso:    m.StartTimeIso,
		EndTimeMillis:   m.EndTimeMillis,
		EndTimeIso:      m.EndTimeIso,
		StepMillis:      m.StepMillis,
		Values:          Values(m.Values),
		Attributes:      m.Attributes,
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	if w.Attributes == nil {
		w.Attributes = map[string]string{}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads Kayenta's MetricSet JSON. Values may be numbers, the
// strings "NaN", "Infinity", "-Infinity" (also "+Inf"/"-Inf") or null (NaN).
// Unknown fields are ignored, as Kayenta's mapper does.
func (m *MetricSet) UnmarshalJSON(b []byte) error {
	var w metricSetJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("metric set: %w", err)
	}
	*m = MetricSet{
		Name:            w.Name,
		Tags:            w.Tags,
		StartTimeMillis: w.StartTimeMillis,
		StartTimeIso:    w.StartTimeIso,
		EndTimeMillis:   w.EndTimeMillis,
		EndTimeIso:      w.EndTimeIso,
		StepMillis:      w.StepMillis,
		Values:          []float64(w.Values),
		Attributes:      w.Attributes,
	}
	return nil
}

// Values is a series of doubles with Jackson's JSON form: NaN and the
// infinities as the strings "NaN", "Infinity" and "-Infinity", finite values
// as Java's Double.toString writes them. A nil Values is written as [].
type Values []float64

// MarshalJSON implements json.Marshaler.
func (v Values) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(2 + 8*len(v))
	buf.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := judge.Float(x).MarshalJSON()
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// UnmarshalJSON implements json.Unmarshaler; null gives a nil Values.
func (v *Values) UnmarshalJSON(b []byte) error {
	var raw []judge.Float
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("values: %w", err)
	}
	if raw == nil {
		*v = nil
		return nil
	}
	out := make([]float64, len(raw))
	for i, f := range raw {
		out[i] = float64(f)
	}
	*v = out
	return nil
}

// NaNs returns n NaNs.
func NaNs(n int) []float64 {
	if n < 0 {
		n = 0
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// FormatInstant formats t as Java's Instant.toString does: UTC, seconds
// always present, and a fraction of 3, 6 or 9 digits only when non-zero
// (2020-07-27T19:17:36Z, 2019-04-11T11:32:53.340Z).
func FormatInstant(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 30)
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if ns := t.Nanosecond(); ns != 0 {
		b = append(b, '.')
		switch {
		case ns%1_000_000 == 0:
			b = appendPadded(b, ns/1_000_000, 3)
		case ns%1_000 == 0:
			b = appendPadded(b, ns/1_000, 6)
		default:
			b = appendPadded(b, ns, 9)
		}
	}
	return string(append(b, 'Z'))
}

// FormatMillis is FormatInstant of a Unix time in milliseconds.
func FormatMillis(ms int64) string { return FormatInstant(time.UnixMilli(ms)) }

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
