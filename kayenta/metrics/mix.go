package metrics

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ctlproject/ctl/kayenta/judge"
)

// Mix pairs the control and experiment MetricSets of the metric metricName
// into the MetricSetPairs the judge consumes, as Kayenta's
// MetricSetMixerService.mixAll does for one metric:
//
//   - Only sets named metricName take part; each side needs at least one
//     (providers return an empty placeholder set when there is no data).
//   - When both sides have tags, their tag key sets (the union over each
//     side's sets) must be equal, otherwise the error names both key sets.
//   - Sets are paired by identical tag maps. A tag map present on one side
//     only is paired with a template of NaNs made from the other side's
//     first set (its ExpectedDataPoints long, with its start, step and
//     attributes). If one side has an untagged set (no data, typically) and
//     the other has none, every set of the other side is paired with such a
//     template and the untagged sets are dropped.
//   - Values shorter than their set's ExpectedDataPoints are padded with NaN.
//
// Each pair gets a random (version 4) UUID as its id, the control's tags,
// scopes {control|experiment: {startTimeIso, startTimeMillis, stepMillis}}
// and attributes {control|experiment: <set attributes>} as in Kayenta's JSON.
// Pairs come in the order the tag maps first appear in control, then in
// experiment (Kayenta's order is that of a HashSet, i.e. unspecified).
// Input slices are not modified. Errors are *ArgumentError.
func Mix(metricName string, control, experiment []MetricSet) ([]judge.MetricSetPair, error) {
	ctl := named(control, metricName)
	exp := named(experiment, metricName)
	if len(ctl) == 0 {
		return nil, Argumentf("No control metrics found for %s and the metric service did not create a placeholder.", metricName)
	}
	if len(exp) == 0 {
		return nil, Argumentf("No experiment metrics found for %s and the metric service did not create a placeholder.", metricName)
	}
	ctlKeys, expKeys := tagKeys(ctl), tagKeys(exp)
	if len(ctlKeys) > 0 && len(expKeys) > 0 && !slices.Equal(ctlKeys, expKeys) {
		return nil, Argumentf("Control metrics have different tag keys than the experiment tag set (%s != %s).",
			javaSet(ctlKeys), javaSet(expKeys))
	}

	ctlEmpty := slices.ContainsFunc(ctl, func(m *MetricSet) bool { return len(m.Tags) == 0 })
	expEmpty := slices.ContainsFunc(exp, func(m *MetricSet) bool { return len(m.Tags) == 0 })
	var pairs []judge.MetricSetPair
	switch {
	case ctlEmpty && !expEmpty:
		for _, e := range exp {
			pairs = append(pairs, mixOne(template(ctl[0], e.Tags), e))
		}
	case !ctlEmpty && expEmpty:
		for _, c := range ctl {
			pairs = append(pairs, mixOne(c, template(exp[0], c.Tags)))
		}
	default:
		seen := map[string]bool{}
		for _, m := range append(slices.Clip(ctl), exp...) {
			key := tagKey(m.Tags)
			if seen[key] {
				continue
			}
			seen[key] = true
			c := findTags(ctl, key)
			if c == nil {
				c = template(ctl[0], m.Tags)
			}
			e := findTags(exp, key)
			if e == nil {
				e = template(exp[0], m.Tags)
			}
			pairs = append(pairs, mixOne(c, e))
		}
	}
	return pairs, nil
}

func named(sets []MetricSet, name string) []*MetricSet {
	var out []*MetricSet
	for i := range sets {
		if sets[i].Name == name {
			out = append(out, &sets[i])
		}
	}
	return out
}

// tagKeys is the sorted union of the tag keys of sets.
func tagKeys(sets []*MetricSet) []string {
	keys := map[string]bool{}
	for _, m := range sets {
		for k := range m.Tags {
			keys[k] = true
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

// javaSet formats keys as Java's Set.toString: [a, b].
func javaSet(keys []string) string { return "[" + strings.Join(keys, ", ") + "]" }

// tagKey is a canonical, unambiguous string for a tag map; nil and empty
// maps have the same key.
func tagKey(tags map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(tags[k]))
		b.WriteByte(',')
	}
	return b.String()
}

func findTags(sets []*MetricSet, key string) *MetricSet {
	for _, m := range sets {
		if tagKey(m.Tags) == key {
			return m
		}
	}
	return nil
}

// template is Kayenta's makeTemplate: NaNs shaped like t, with tags.
func template(t *MetricSet, tags map[string]string) *MetricSet {
	return &MetricSet{
		Name:            t.Name,
		Tags:            tags,
		StartTimeMillis: t.StartTimeMillis,
		StartTimeIso:    t.StartTimeIso,
		EndTimeMillis:   t.EndTimeMillis,
		EndTimeIso:      t.EndTimeIso,
		StepMillis:      t.StepMillis,
		Values:          NaNs(t.ExpectedDataPoints()),
		Attributes:      t.Attributes,
	}
}

// PairScope is one side of a MetricSetPair's scopes: when its first value
// was taken and how far apart its values are.
type PairScope struct {
	StartTimeIso    string `json:"startTimeIso"`
	StartTimeMillis int64  `json:"startTimeMillis"`
	StepMillis      int64  `json:"stepMillis"`
}

// PairScopes is the JSON of a MetricSetPair's scopes, as Mix writes it.
type PairScopes struct {
	Control    PairScope `json:"control"`
	Experiment PairScope `json:"experiment"`
}

func scopeOf(m *MetricSet) PairScope {
	return PairScope{StartTimeIso: m.StartTimeIso, StartTimeMillis: m.StartTimeMillis, StepMillis: m.StepMillis}
}

// mixOne is Kayenta's mixOne for two sets with equal names and tags.
func mixOne(c, e *MetricSet) judge.MetricSetPair {
	tags := maps.Clone(c.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	scopes, _ := json.Marshal(PairScopes{Control: scopeOf(c), Experiment: scopeOf(e)})
	p := judge.MetricSetPair{
		Name: c.Name,
		ID:   NewUUID(),
		Tags: tags,
		Values: judge.PairValues{
			Control:    padded(c.Values, c.ExpectedDataPoints()),
			Experiment: padded(e.Values, e.ExpectedDataPoints()),
		},
		Scopes: scopes,
	}
	// Kayenta adds a side's attributes when they are not null; a map
	// marshals with sorted keys, so control comes before experiment.
	attrs := map[string]map[string]string{}
	if c.Attributes != nil {
		attrs["control"] = c.Attributes
	}
	if e.Attributes != nil {
		attrs["experiment"] = e.Attributes
	}
	if len(attrs) > 0 {
		p.Attributes, _ = json.Marshal(attrs)
	}
	return p
}

// padded copies v and pads it with NaN to n values.
func padded(v []float64, n int) []float64 {
	out := make([]float64, len(v), max(len(v), n))
	copy(out, v)
	for len(out) < n {
		out = append(out, math.NaN())
	}
	return out
}

// NewUUID returns a random (version 4) UUID from crypto/rand, as Java's
// UUID.randomUUID, in the canonical 8-4-4-4-12 form.
func NewUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand.Read)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
