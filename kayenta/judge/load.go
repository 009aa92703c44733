package judge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// maxProblems caps how many problems one LoadError lists.
const maxProblems = 20

// Problem is one thing wrong with an input file, at a JSON path such as
// metrics[2].analysisConfigurations.canary.critical or [3].values.control[7].
type Problem struct {
	Path    string
	Message string
}

// LoadError lists the problems found in one file. Its message has one line per
// problem: "file: path: message".
type LoadError struct {
	File     string
	Problems []Problem
	// Omitted counts problems beyond the ones listed.
	Omitted int
}

func (e *LoadError) Error() string {
	var sb strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(e.File)
		if p.Path != "" {
			sb.WriteString(": ")
			sb.WriteString(p.Path)
		}
		sb.WriteString(": ")
		sb.WriteString(p.Message)
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&sb, "\n%s: … and %d more problems", e.File, e.Omitted)
	}
	return sb.String()
}

type problems struct {
	file    string
	list    []Problem
	omitted int
}

func (p *problems) add(path, format string, args ...any) {
	if len(p.list) >= maxProblems {
		p.omitted++
		return
	}
	p.list = append(p.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &LoadError{File: p.file, Problems: p.list, Omitted: p.omitted}
}

// syntaxProblem turns a encoding/json error into a problem with line:column.
func syntaxProblem(file string, data []byte, err error, want string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var td *trailingDataError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset-1)
		return &LoadError{File: fmt.Sprintf("%s:%d:%d", file, line, col), Problems: []Problem{{Message: "invalid JSON: " + se.Error()}}}
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset-1)
		return &LoadError{File: fmt.Sprintf("%s:%d:%d", file, line, col), Problems: []Problem{{Message: fmt.Sprintf("want %s, got a JSON %s", want, te.Value)}}}
	case errors.As(err, &td):
		line, col := lineCol(data, skipSpace(data, td.offset))
		return &LoadError{File: fmt.Sprintf("%s:%d:%d", file, line, col), Problems: []Problem{{Message: "invalid JSON: " + err.Error()}}}
	case errors.Is(err, errEmpty):
		return &LoadError{File: file, Problems: []Problem{{Message: "the file is empty; want " + want}}}
	}
	return &LoadError{File: file, Problems: []Problem{{Message: err.Error()}}}
}

var errEmpty = errors.New("empty input")

type trailingDataError struct{ offset int64 }

func (e *trailingDataError) Error() string { return "unexpected data after the top-level JSON value" }

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\n' || data[off] == '\r') {
		off++
	}
	return off
}

// lineCol returns the 1-based line and column of data[offset].
func lineCol(data []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(data))))
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// LoadCanaryConfigFile reads a Kayenta canary config JSON file. See ParseCanaryConfig.
func LoadCanaryConfigFile(path string) (*CanaryConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading canary config: %w", err)
	}
	return ParseCanaryConfig(data, path)
}

// ParseCanaryConfig parses a Kayenta canary config (the JSON stored by
// POST /canaryConfig). file names the input in errors. It reads metrics[]
// (name, query, groups, scopeName, analysisConfigurations.canary), judge.name,
// classifier.groupWeights and classifier.scoreThresholds, applies Kayenta's
// defaults, and ignores other keys, as Kayenta does. Unknown values of the
// enum-like settings fall back to Kayenta's defaults and are reported in
// CanaryConfig.Warnings; wrong JSON types are errors.
func ParseCanaryConfig(data []byte, file string) (*CanaryConfig, error) {
	root, err := decodeGeneric(data)
	if err != nil {
		return nil, syntaxProblem(file, data, err, "a JSON object (a Kayenta canary config)")
	}
	p := &problems{file: file}
	obj, ok := root.(map[string]any)
	if !ok {
		p.add("", "want a JSON object (a Kayenta canary config), got %s", describe(root))
		return nil, p.err()
	}
	cfg := &CanaryConfig{}
	cfg.Name = optString(p, obj, "name", "name")
	cfg.ID = optString(p, obj, "id", "id")
	cfg.Description = optString(p, obj, "description", "description")
	if j, ok := optObject(p, obj, "judge", "judge"); ok {
		cfg.JudgeName = optString(p, j, "name", "judge.name")
	}
	if c, ok := optObject(p, obj, "classifier", "classifier"); ok {
		if gw, ok := optObject(p, c, "groupWeights", "classifier.groupWeights"); ok {
			cfg.GroupWeights = make(map[string]float64, len(gw))
			for _, g := range sortedKeys(gw) {
				if v, ok := number(p, gw[g], "classifier.groupWeights."+g); ok {
					cfg.GroupWeights[g] = v
				}
			}
		}
		if st, ok := optObject(p, c, "scoreThresholds", "classifier.scoreThresholds"); ok {
			var t Thresholds
			if v, ok := st["pass"]; ok && v != nil {
				t.Pass, _ = number(p, v, "classifier.scoreThresholds.pass")
			}
			if v, ok := st["marginal"]; ok && v != nil {
				t.Marginal, _ = number(p, v, "classifier.scoreThresholds.marginal")
			}
			cfg.ScoreThresholds = &t
		}
	}

	mv, ok := obj["metrics"]
	if !ok || mv == nil {
		p.add("metrics", "missing; a canary config must have at least one metric")
		return nil, p.err()
	}
	metrics, ok := mv.([]any)
	if !ok {
		p.add("metrics", "want an array of metric configs, got %s", describe(mv))
		return nil, p.err()
	}
	if len(metrics) == 0 {
		p.add("metrics", "empty; a canary config must have at least one metric")
	}
	seen := map[string]int{}
	for i, m := range metrics {
		path := fmt.Sprintf("metrics[%d]", i)
		mo, ok := m.(map[string]any)
		if !ok {
			p.add(path, "want a metric config object, got %s", describe(m))
			continue
		}
		mc := CanaryMetricConfig{Settings: DefaultMetricSettings(), Groups: []string{}}
		name, ok := mo["name"].(string)
		switch {
		case !ok:
			p.add(path+".name", "want a non-empty string, got %s", describe(mo["name"]))
		case name == "":
			p.add(path+".name", "empty; every metric needs a name that matches its metric set pairs")
		default:
			if j, dup := seen[name]; dup {
				p.add(path+".name", "%q is duplicated (metrics[%d]); metric names must be unique", name, j)
			} else {
				seen[name] = i
			}
		}
		mc.Name = name
		if q, ok := mo["query"]; ok && q != nil {
			mc.Query, _ = json.Marshal(q)
		}
		mc.ScopeName = optString(p, mo, "scopeName", path+".scopeName")
		if g, ok := mo["groups"]; ok && g != nil {
			ga, ok := g.([]any)
			if !ok {
				p.add(path+".groups", "want an array of group names, got %s", describe(g))
			}
			for k, e := range ga {
				s, ok := e.(string)
				if !ok {
					p.add(fmt.Sprintf("%s.groups[%d]", path, k), "want a string, got %s", describe(e))
					continue
				}
				mc.Groups = append(mc.Groups, s)
			}
		}
		if len(mc.Groups) == 0 && name != "" {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s (%q) has no groups, so Kayenta's scorer ignores it; add it to a group to count it", path, name))
		}
		if ac, ok := optObject(p, mo, "analysisConfigurations", path+".analysisConfigurations"); ok {
			if c, ok := optObject(p, ac, "canary", path+".analysisConfigurations.canary"); ok {
				parseSettings(p, cfg, c, path+".analysisConfigurations.canary", &mc.Settings)
			}
		}
		cfg.Metrics = append(cfg.Metrics, mc)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var knownCanaryKeys = map[string]bool{
	"direction": true, "nanStrategy": true, "critical": true, "mustHaveData": true,
	"muted": true, "effectSize": true, "outliers": true,
}

// parseSettings reads analysisConfigurations.canary as NetflixACAJudge's MapUtils
// calls do: absent or null keys take the defaults.
func parseSettings(p *problems, cfg *CanaryConfig, c map[string]any, path string, s *MetricSettings) {
	for _, k := range sortedKeys(c) {
		if !knownCanaryKeys[k] {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s: unknown key %q ignored", path, k))
		}
	}
	if v, ok := enumString(p, c, "direction", path); ok {
		switch d := Direction(v); d {
		case Increase, Decrease, Either:
			s.Direction = d
		default:
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s.direction: unknown value %q treated as %q, as Kayenta does (use increase, decrease or either)", path, v, Either))
		}
	}
	if v, ok := enumString(p, c, "nanStrategy", path); ok {
		switch n := NaNStrategy(v); n {
		case NaNRemove, NaNReplace:
			s.NaNStrategy = n
		default:
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s.nanStrategy: unknown value %q treated as %q, as Kayenta does (use remove or replace)", path, v, NaNRemove))
		}
	}
	s.Critical = optBool(p, c, "critical", path)
	s.MustHaveData = optBool(p, c, "mustHaveData", path)
	s.Muted = optBool(p, c, "muted", path)

	if es, ok := optObject(p, c, "effectSize", path+".effectSize"); ok {
		measure := MeanRatioMeasure
		if v, ok := enumString(p, es, "measure", path+".effectSize"); ok {
			switch m := EffectSizeMeasure(v); m {
			case MeanRatioMeasure, CLESMeasure:
				measure = m
			default:
				cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s.effectSize.measure: unknown value %q treated as %q (use meanRatio or cles)", path, v, MeanRatioMeasure))
			}
		}
		s.EffectSize = defaultEffectSize(measure)
		for _, f := range []struct {
			key string
			dst *float64
		}{
			{"allowedIncrease", &s.EffectSize.AllowedIncrease},
			{"allowedDecrease", &s.EffectSize.AllowedDecrease},
			{"criticalIncrease", &s.EffectSize.CriticalIncrease},
			{"criticalDecrease", &s.EffectSize.CriticalDecrease},
		} {
			if v, ok := es[f.key]; ok && v != nil {
				if x, ok := number(p, v, path+".effectSize."+f.key); ok {
					*f.dst = x
				}
			}
		}
	}
	if o, ok := optObject(p, c, "outliers", path+".outliers"); ok {
		if v, ok := enumString(p, o, "strategy", path+".outliers"); ok {
			switch st := OutlierStrategy(v); st {
			case OutliersKeep, OutliersRemove:
				s.Outliers.Strategy = st
			default:
				cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s.outliers.strategy: unknown value %q treated as %q (use remove or keep)", path, v, OutliersKeep))
			}
		}
		if v, ok := o["outlierFactor"]; ok && v != nil {
			if x, ok := number(p, v, path+".outliers.outlierFactor"); ok {
				if !(x > 0) {
					p.add(path+".outliers.outlierFactor", "must be greater than 0, got %v", x)
				} else {
					s.Outliers.Factor = x
				}
			}
		}
	}
}

func decodeGeneric(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errEmpty
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, &trailingDataError{offset: off}
	}
	return v, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describe names a decoded JSON value for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case string:
		return strconv.Quote(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

func optString(p *problems, obj map[string]any, key, path string) string {
	v, ok := obj[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.add(path, "want a string, got %s", describe(v))
	}
	return s
}

// enumString reads obj[key] as a string; ok is false when absent, null or wrong.
func enumString(p *problems, obj map[string]any, key, parent string) (string, bool) {
	v, ok := obj[key]
	if !ok || v == nil {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		p.add(parent+"."+key, "want a string, got %s", describe(v))
		return "", false
	}
	return s, true
}

func optObject(p *problems, obj map[string]any, key, path string) (map[string]any, bool) {
	v, ok := obj[key]
	if !ok || v == nil {
		return nil, false
	}
	o, ok := v.(map[string]any)
	if !ok {
		p.add(path, "want an object, got %s", describe(v))
	}
	return o, ok
}

func optBool(p *problems, obj map[string]any, key, parent string) bool {
	v, ok := obj[key]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.add(parent+"."+key, "want true or false (a JSON boolean), got %s; Kayenta casts it to Boolean and fails otherwise", describe(v))
	}
	return b
}

// number reads a finite JSON number (or a numeric string, which Jackson coerces).
func number(p *problems, v any, path string) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(x.String(), 64); err != nil && !isRangeErr(err) {
			p.add(path, "want a number, got %s", x)
			return 0, false
		}
	case string:
		var ok bool
		if f, ok = parseSpecialFloat(x); !ok {
			p.add(path, "want a number, got %s", describe(v))
			return 0, false
		}
	default:
		p.add(path, "want a number, got %s", describe(v))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		p.add(path, "want a finite number, got %s", describe(v))
		return 0, false
	}
	return f, true
}

// LoadMetricSetPairListFile reads a Kayenta MetricSetPairList JSON file. See
// ParseMetricSetPairList.
func LoadMetricSetPairListFile(path string) ([]MetricSetPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading metric set pairs: %w", err)
	}
	return ParseMetricSetPairList(data, path)
}

// ParseMetricSetPairList parses a Kayenta MetricSetPairList: a JSON array of
// {name, id, tags, values: {control: […], experiment: […]}, scopes, attributes}.
// Values are numbers, null or "NaN" (missing samples, read as NaN), or the
// strings "Infinity"/"-Infinity" (also "+Inf"/"-Inf"). file names the input in
// errors such as `pairs.json: [3].values.control[7]: want a number or "NaN", got "abc"`.
func ParseMetricSetPairList(data []byte, file string) ([]MetricSetPair, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, syntaxProblem(file, data, errEmpty, "a JSON array of metric set pairs")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, syntaxProblem(file, data, err, "a JSON array of metric set pairs")
	}
	p := &problems{file: file}
	pairs := make([]MetricSetPair, 0, len(items))
	for i, raw := range items {
		path := fmt.Sprintf("[%d]", i)
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			p.add(path, "want a metric set pair object, got %s", describeJSON(raw))
			continue
		}
		var mp MetricSetPair
		if v, ok := fields["name"]; !ok || string(v) == "null" {
			p.add(path+".name", "missing; every pair needs the name of its metric in the canary config")
		} else if err := json.Unmarshal(v, &mp.Name); err != nil {
			p.add(path+".name", "want a string, got %s", describeJSON(v))
		} else if mp.Name == "" {
			p.add(path+".name", "empty; every pair needs the name of its metric in the canary config")
		}
		if v, ok := fields["id"]; ok && string(v) != "null" {
			if err := json.Unmarshal(v, &mp.ID); err != nil {
				p.add(path+".id", "want a string, got %s", describeJSON(v))
			}
		}
		if v, ok := fields["tags"]; ok && string(v) != "null" {
			var tags map[string]json.RawMessage
			if err := json.Unmarshal(v, &tags); err != nil {
				p.add(path+".tags", "want an object of string values, got %s", describeJSON(v))
			} else {
				mp.Tags = make(map[string]string, len(tags))
				for _, k := range slices.Sorted(maps.Keys(tags)) {
					tv := tags[k]
					var s string
					if err := json.Unmarshal(tv, &s); err != nil {
						p.add(path+".tags."+k, "want a string, got %s", describeJSON(tv))
						continue
					}
					mp.Tags[k] = s
				}
			}
		}
		if v, ok := fields["values"]; !ok || string(v) == "null" {
			p.add(path+".values", `missing; want {"control": […], "experiment": […]}`)
		} else {
			pairValues(p, v, path+".values", &mp.Values)
		}
		if v, ok := fields["scopes"]; ok {
			mp.Scopes = v
		}
		if v, ok := fields["attributes"]; ok {
			mp.Attributes = v
		}
		pairs = append(pairs, mp)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return pairs, nil
}

func pairValues(p *problems, raw json.RawMessage, path string, dst *PairValues) {
	var sides map[string]json.RawMessage
	if err := json.Unmarshal(raw, &sides); err != nil || sides == nil {
		p.add(path, `want {"control": […], "experiment": […]}, got %s`, describeJSON(raw))
		return
	}
	for _, side := range []struct {
		key string
		dst *[]float64
	}{{"control", &dst.Control}, {"experiment", &dst.Experiment}} {
		v, ok := sides[side.key]
		if !ok || string(v) == "null" {
			p.add(path+"."+side.key, "missing; want an array of numbers (use [] for no data)")
			continue
		}
		vals, idx, err := parseFloatArray(v)
		if err != nil {
			if idx >= 0 {
				p.add(fmt.Sprintf("%s.%s[%d]", path, side.key, idx), "%v", err)
			} else {
				p.add(path+"."+side.key, "%v", err)
			}
			continue
		}
		*side.dst = vals
	}
}

func parsePairValues(b []byte) (PairValues, error) {
	p := &problems{file: "values"}
	var pv PairValues
	pairValues(p, b, "", &pv)
	if len(p.list) > 0 {
		pr := p.list[0]
		return pv, fmt.Errorf("values%s: %s", pr.Path, pr.Message)
	}
	return pv, nil
}

// parseFloatArray reads a syntactically valid JSON array of doubles without
// materializing an element per value. On error idx is the element index (-1 when
// the value is not an array).
func parseFloatArray(b []byte) (vals []float64, idx int, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		return nil, -1, fmt.Errorf("want an array of numbers, got %s", describeJSON(b))
	}
	vals = make([]float64, 0, bytes.Count(b, []byte{','})+1)
	i := 1
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	skip()
	if i < len(b) && b[i] == ']' {
		return vals, 0, nil
	}
	for n := 0; ; n++ {
		skip()
		if i >= len(b) {
			return nil, n, errors.New("unterminated array")
		}
		start := i
		i = endOfValue(b, i)
		v, err := parseJSONValue(b[start:i])
		if err != nil {
			return nil, n, err
		}
		vals = append(vals, v)
		skip()
		if i >= len(b) {
			return nil, n, errors.New("unterminated array")
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return vals, 0, nil
		default:
			return nil, n, fmt.Errorf("unexpected %q after the value", b[i])
		}
	}
}

// endOfValue returns the index just past the JSON value starting at b[i].
func endOfValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		i++
		for i < len(b) && b[i] != '"' {
			if b[i] == '\\' {
				i++
			}
			i++
		}
		return min(i+1, len(b))
	case '[', '{':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = endOfValue(b, i)
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}
