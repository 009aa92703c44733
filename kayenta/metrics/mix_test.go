package metrics

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/kayenta/judge"
)

const (
	t0   = int64(1700000000000)
	step = int64(60000)
)

// set makes a MetricSet over [t0, t0+n·step) as the Prometheus source does.
func set(name string, tags map[string]string, query string, values ...float64) MetricSet {
	n := int64(len(values))
	return MetricSet{
		Name: name, Tags: tags,
		StartTimeMillis: t0, StartTimeIso: FormatMillis(t0),
		EndTimeMillis: t0 + n*step, EndTimeIso: FormatMillis(t0 + n*step),
		StepMillis: step, Values: values,
		Attributes: map[string]string{"query": query},
	}
}

// placeholder is the empty MetricSet a source returns for no data over 3 steps.
func placeholder(name, query string) MetricSet {
	return MetricSet{
		Name: name, StartTimeMillis: t0, StartTimeIso: FormatMillis(t0),
		EndTimeMillis: t0 + 3*step, EndTimeIso: FormatMillis(t0 + 3*step),
		StepMillis: step, Values: []float64{}, Attributes: map[string]string{"query": query},
	}
}

func byTag(t *testing.T, pairs []judge.MetricSetPair, key string) map[string]judge.MetricSetPair {
	t.Helper()
	m := map[string]judge.MetricSetPair{}
	for _, p := range pairs {
		m[p.Tags[key]] = p
	}
	if len(m) != len(pairs) {
		t.Fatalf("pairs with duplicate %s tags: %+v", key, pairs)
	}
	return m
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestMixPairsByTags(t *testing.T) {
	control := []MetricSet{
		set("err", map[string]string{"code": "200"}, "qc", 1, 2, 3),
		set("err", map[string]string{"code": "500"}, "qc", 4, 5, 6),
		set("other", map[string]string{"code": "500"}, "qo", 9, 9, 9), // another metric: ignored
	}
	experiment := []MetricSet{
		set("err", map[string]string{"code": "500"}, "qe", 40, 50, 60),
		set("err", map[string]string{"code": "200"}, "qe", 10, 20, 30),
	}
	pairs, err := Mix("err", control, experiment)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 {
		t.Fatalf("got %d pairs, want 2", len(pairs))
	}
	// Order: tag maps in order of first appearance (control first).
	if pairs[0].Tags["code"] != "200" || pairs[1].Tags["code"] != "500" {
		t.Errorf("order = %v, %v", pairs[0].Tags, pairs[1].Tags)
	}
	m := byTag(t, pairs, "code")
	checkValues(t, m["200"].Values, []float64{1, 2, 3}, []float64{10, 20, 30})
	checkValues(t, m["500"].Values, []float64{4, 5, 6}, []float64{40, 50, 60})
	if pairs[0].ID == pairs[1].ID || !uuidRE.MatchString(pairs[0].ID) || !uuidRE.MatchString(pairs[1].ID) {
		t.Errorf("ids %q %q: want distinct random UUIDs", pairs[0].ID, pairs[1].ID)
	}

	// Kayenta's pair JSON, readable by the judge's loader.
	b, err := json.Marshal(m["500"])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"err","id":"` + m["500"].ID + `","tags":{"code":"500"},` +
		`"values":{"control":[4.0,5.0,6.0],"experiment":[40.0,50.0,60.0]},` +
		`"scopes":{"control":{"startTimeIso":"2023-11-14T22:13:20Z","startTimeMillis":1700000000000,"stepMillis":60000},` +
		`"experiment":{"startTimeIso":"2023-11-14T22:13:20Z","startTimeMillis":1700000000000,"stepMillis":60000}},` +
		`"attributes":{"control":{"query":"qc"},"experiment":{"query":"qe"}}}`
	if string(b) != want {
		t.Errorf("pair JSON =\n  %s\nwant\n  %s", b, want)
	}
	all, _ := json.Marshal(pairs)
	if back, err := judge.ParseMetricSetPairList(all, "pairs.json"); err != nil || len(back) != 2 {
		t.Errorf("judge.ParseMetricSetPairList: %d pairs, %v", len(back), err)
	}
	// Inputs untouched.
	if len(control[0].Values) != 3 || control[0].Values[0] != 1 {
		t.Errorf("control modified: %v", control[0].Values)
	}
}

func TestMixMissingSide(t *testing.T) {
	control := []MetricSet{
		set("err", map[string]string{"code": "200"}, "qc", 1, 2, 3),
		set("err", map[string]string{"code": "500"}, "qc", 4, 5, 6),
	}
	experiment := []MetricSet{
		set("err", map[string]string{"code": "200"}, "qe", 10, 20), // short: padded below
		set("err", map[string]string{"code": "404"}, "qe", 7, 7),
	}
	experiment[0].EndTimeMillis = t0 + 3*step // expects 3 points, has 2
	pairs, err := Mix("err", control, experiment)
	if err != nil {
		t.Fatal(err)
	}
	m := byTag(t, pairs, "code")
	if len(m) != 3 {
		t.Fatalf("pairs for %v, want 200, 500 and 404", m)
	}
	nan := math.NaN()
	checkValues(t, m["200"].Values, []float64{1, 2, 3}, []float64{10, 20, nan})
	// 500 has no experiment: NaNs as long as the experiment template expects (experiment[0]: 3).
	checkValues(t, m["500"].Values, []float64{4, 5, 6}, []float64{nan, nan, nan})
	// 404 has no control: NaNs as long as control[0] expects.
	checkValues(t, m["404"].Values, []float64{nan, nan, nan}, []float64{7, 7})
	// A template keeps its model's attributes.
	if !strings.Contains(string(m["404"].Attributes), `"control":{"query":"qc"}`) {
		t.Errorf("404 attributes = %s", m["404"].Attributes)
	}
}

func TestMixNoDataSide(t *testing.T) {
	// The control returned nothing (Prometheus' empty placeholder, no tags);
	// every experiment series is paired with control NaNs; (end−start)/step = 3.
	control := []MetricSet{placeholder("lat", "qc")}
	experiment := []MetricSet{
		set("lat", map[string]string{"code": "200"}, "qe", 1, 2, 3),
		set("lat", map[string]string{"code": "500"}, "qe", 4, 5, 6),
	}
	pairs, err := Mix("lat", control, experiment)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	m := byTag(t, pairs, "code")
	checkValues(t, m["200"].Values, []float64{nan, nan, nan}, []float64{1, 2, 3})
	checkValues(t, m["500"].Values, []float64{nan, nan, nan}, []float64{4, 5, 6})

	// Reverse side.
	pairs, err = Mix("lat", experiment, []MetricSet{placeholder("lat", "qe")})
	if err != nil || len(pairs) != 2 {
		t.Fatalf("reverse: %v, %v", pairs, err)
	}
	checkValues(t, byTag(t, pairs, "code")["500"].Values, []float64{4, 5, 6}, []float64{nan, nan, nan})

	// Both empty: one untagged pair of NaNs (the placeholder is padded to 3).
	pairs, err = Mix("lat", []MetricSet{placeholder("lat", "qc")}, []MetricSet{placeholder("lat", "qe")})
	if err != nil || len(pairs) != 1 {
		t.Fatalf("both empty: %v, %v", pairs, err)
	}
	checkValues(t, pairs[0].Values, []float64{nan, nan, nan}, []float64{nan, nan, nan})
	if b, _ := json.Marshal(pairs[0]); !strings.Contains(string(b), `"tags":{}`) {
		t.Errorf("untagged pair JSON = %s", b)
	}
}

func TestMixDifferentTagValues(t *testing.T) {
	// kayenta#738: same keys, different values → two unpaired, half-NaN pairs.
	control := []MetricSet{set("m", map[string]string{"pod": "app-baseline"}, "qc", 1, 2)}
	experiment := []MetricSet{set("m", map[string]string{"pod": "app-canary"}, "qe", 3, 4)}
	pairs, err := Mix("m", control, experiment)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	m := byTag(t, pairs, "pod")
	checkValues(t, m["app-baseline"].Values, []float64{1, 2}, []float64{nan, nan})
	checkValues(t, m["app-canary"].Values, []float64{nan, nan}, []float64{3, 4})
}

func TestMixErrors(t *testing.T) {
	a := set("m", map[string]string{"code": "200"}, "q", 1)
	b := set("m", map[string]string{"code": "200", "method": "GET"}, "q", 1)
	c := set("m", map[string]string{"zone": "a"}, "q", 1)
	for _, tc := range []struct {
		name      string
		ctl, exp  []MetricSet
		wantError string
	}{
		{"key sets differ", []MetricSet{a}, []MetricSet{b},
			"Control metrics have different tag keys than the experiment tag set ([code] != [code, method])."},
		{"union of key sets differ", []MetricSet{a, c}, []MetricSet{b},
			"Control metrics have different tag keys than the experiment tag set ([code, zone] != [code, method])."},
		{"no control", nil, []MetricSet{a},
			"No control metrics found for m and the metric service did not create a placeholder."},
		{"no experiment of this name", []MetricSet{a}, []MetricSet{set("other", nil, "q", 1)},
			"No experiment metrics found for m and the metric service did not create a placeholder."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pairs, err := Mix("m", tc.ctl, tc.exp)
			if err == nil {
				t.Fatalf("Mix = %+v, want error", pairs)
			}
			if err.Error() != tc.wantError {
				t.Errorf("error =\n  %s\nwant\n  %s", err, tc.wantError)
			}
			if !IsArgumentError(err) {
				t.Errorf("error %T is not an ArgumentError", err)
			}
		})
	}
}

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		u := NewUUID()
		if !uuidRE.MatchString(u) || seen[u] {
			t.Fatalf("NewUUID = %q (seen before: %v)", u, seen[u])
		}
		seen[u] = true
	}
}

func checkValues(t *testing.T, got judge.PairValues, control, experiment []float64) {
	t.Helper()
	if !sameFloats(got.Control, control) {
		t.Errorf("control = %v, want %v", got.Control, control)
	}
	if !sameFloats(got.Experiment, experiment) {
		t.Errorf("experiment = %v, want %v", got.Experiment, experiment)
	}
}
