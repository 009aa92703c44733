package prometheus

import (
	"errors"
	"fmt"
	"maps"

	"github.com/prometheus/common/model"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

// maxGridPoints bounds the series length a response can make us allocate
// (Prometheus itself refuses more than 11,000 points per series).
const maxGridPoints = 1_000_000

var errNoData = errors.New("the response has no data")

// toMetricSets converts a range query result into MetricSets named name.
//
// As in Kayenta, each series becomes one MetricSet whose tags are its labels
// without __name__ and whose attributes.query is the PromQL, and an empty
// result becomes a single MetricSet with no tags, no values and the scope's
// start, end and step.
//
// Unlike Kayenta, which concatenates the samples it gets and takes the first
// two timestamps as start and step, the samples are placed on the grid
// origin + k·step and NaN fills every grid point where Prometheus has no
// sample, so all series of a result have the same length and Values[k] of
// every series is the same instant. The origin is the scope's start (to the
// millisecond), which is where Prometheus evaluates a range query; should a
// proxy have shifted the evaluation times (query frontends that align them to
// the step do), the origin follows the samples' phase instead. The grid runs
// to the scope's end, so a series has (end − start)/step + 1 values, and
// endTimeMillis is start + len(values)·step, keeping ExpectedDataPoints equal
// to the length (Kayenta's convention).
func toMetricSets(name, query string, val model.Value, s metrics.Scope) ([]metrics.MetricSet, error) {
	if val == nil {
		return nil, errNoData
	}
	matrix, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("unexpected resultType %q for a range query, want \"matrix\"", val.Type())
	}
	startMs, endMs := s.Start.UnixMilli(), s.End.UnixMilli()
	stepMs := s.Step * 1000

	var earliest, latest int64
	samples := 0
	for _, ss := range matrix {
		if len(ss.Histograms) > 0 {
			return nil, fmt.Errorf("series %s has native histogram samples, which are not supported; aggregate them (e.g. histogram_quantile) to floats", ss.Metric)
		}
		for _, p := range ss.Values {
			ts := int64(p.Timestamp)
			if samples == 0 || ts < earliest {
				earliest = ts
			}
			if samples == 0 || ts > latest {
				latest = ts
			}
			samples++
		}
	}
	if samples == 0 {
		return []metrics.MetricSet{{
			Name:            name,
			StartTimeMillis: startMs,
			StartTimeIso:    metrics.FormatInstant(s.Start),
			EndTimeMillis:   endMs,
			EndTimeIso:      metrics.FormatInstant(s.End),
			StepMillis:      stepMs,
			Values:          []float64{},
			Attributes:      map[string]string{"query": query},
		}}, nil
	}

	phase := ((earliest-startMs)%stepMs + stepMs) % stepMs
	origin := startMs + phase
	if origin > earliest {
		origin -= stepMs
	}
	n := (max(endMs, latest)-origin)/stepMs + 1
	if n > maxGridPoints {
		return nil, fmt.Errorf("the samples span %d steps of %ds, more than %d", n, s.Step, maxGridPoints)
	}

	sets := make([]metrics.MetricSet, 0, len(matrix))
	for _, ss := range matrix {
		if len(ss.Values) == 0 {
			continue
		}
		values := metrics.NaNs(int(n))
		for _, p := range ss.Values {
			off := int64(p.Timestamp) - origin
			if off%stepMs != 0 {
				return nil, fmt.Errorf("series %s has a sample at %s, off the %ds grid starting at %s",
					ss.Metric, metrics.FormatMillis(int64(p.Timestamp)), s.Step, metrics.FormatMillis(origin))
			}
			values[off/stepMs] = float64(p.Value)
		}
		tags := make(map[string]string, len(ss.Metric))
		for k, v := range maps.All(ss.Metric) {
			if k != model.MetricNameLabel {
				tags[string(k)] = string(v)
			}
		}
		end := origin + n*stepMs
		sets = append(sets, metrics.MetricSet{
			Name:            name,
			Tags:            tags,
			StartTimeMillis: origin,
			StartTimeIso:    metrics.FormatMillis(origin),
			EndTimeMillis:   end,
			EndTimeIso:      metrics.FormatMillis(end),
			StepMillis:      stepMs,
			Values:          values,
			Attributes:      map[string]string{"query": query},
		})
	}
	return sets, nil
}
