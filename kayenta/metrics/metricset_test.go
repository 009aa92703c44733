package metrics

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMetricSetJSON(t *testing.T) {
	m := MetricSet{
		Name:            "cpu",
		Tags:            map[string]string{"code": "200"},
		StartTimeMillis: 1700000000000,
		StartTimeIso:    "2023-11-14T22:13:20Z",
		EndTimeMillis:   1700000180000,
		EndTimeIso:      "2023-11-14T22:16:20Z",
		StepMillis:      60000,
		Values:          []float64{1, math.NaN(), math.Inf(1), math.Inf(-1), 0.25, 1e-5},
		Attributes:      map[string]string{"query": "avg(cpu)"},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"cpu","tags":{"code":"200"},"startTimeMillis":1700000000000,"startTimeIso":"2023-11-14T22:13:20Z",` +
		`"endTimeMillis":1700000180000,"endTimeIso":"2023-11-14T22:16:20Z","stepMillis":60000,` +
		`"values":[1.0,"NaN","Infinity","-Infinity",0.25,1.0E-5],"attributes":{"query":"avg(cpu)"}}`
	if string(b) != want {
		t.Errorf("Marshal =\n  %s\nwant\n  %s", b, want)
	}
	var back MetricSet
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Name != m.Name || back.Tags["code"] != "200" || back.StartTimeMillis != m.StartTimeMillis ||
		back.EndTimeIso != m.EndTimeIso || back.StepMillis != m.StepMillis || back.Attributes["query"] != "avg(cpu)" ||
		!sameFloats(back.Values, m.Values) {
		t.Errorf("round trip = %+v", back)
	}
	if got := back.ExpectedDataPoints(); got != 3 {
		t.Errorf("ExpectedDataPoints = %d, want 3", got)
	}

	// Empty maps and values are written as {} and [].
	b, _ = json.Marshal(MetricSet{Name: "x"})
	if s := string(b); !strings.Contains(s, `"tags":{}`) || !strings.Contains(s, `"values":[]`) || !strings.Contains(s, `"attributes":{}`) {
		t.Errorf("empty set JSON = %s", s)
	}
	// Kayenta/Prometheus spellings, null, unknown fields.
	if err := json.Unmarshal([]byte(`{"name":"x","values":[null,"+Inf","-Inf","NaN",2,"3.5"],"extra":true}`), &back); err != nil {
		t.Fatal(err)
	}
	if !sameFloats(back.Values, []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.NaN(), 2, 3.5}) {
		t.Errorf("values = %v", back.Values)
	}
	if err := json.Unmarshal([]byte(`{"name":"x","values":["abc"]}`), &back); err == nil {
		t.Error("want an error for a non-numeric value")
	}
	if got := (&MetricSet{StartTimeMillis: 0, EndTimeMillis: 100}).ExpectedDataPoints(); got != 0 {
		t.Errorf("ExpectedDataPoints with step 0 = %d", got)
	}
}

func TestFormatInstant(t *testing.T) {
	base := time.Date(2019, 4, 11, 11, 32, 53, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{base, "2019-04-11T11:32:53Z"},
		{base.Add(349 * time.Millisecond), "2019-04-11T11:32:53.349Z"},
		{base.Add(340 * time.Millisecond), "2019-04-11T11:32:53.340Z"},
		{base.Add(340100 * time.Nanosecond), "2019-04-11T11:32:53.000340100Z"},
		{base.Add(12 * time.Microsecond), "2019-04-11T11:32:53.000012Z"},
		{base.In(time.FixedZone("x", 3600)), "2019-04-11T11:32:53Z"},
	} {
		if got := FormatInstant(tc.t); got != tc.want {
			t.Errorf("FormatInstant(%v) = %s, want %s", tc.t, got, tc.want)
		}
	}
}

func TestScopeJSON(t *testing.T) {
	in := `{"scope":"app-baseline","location":"us-east-1","start":"2020-07-27T19:17:36Z",
	        "end":"2020-07-27T21:21:36.5+02:00","step":60,"extendedScopeParams":{"k":"v"},"type":"ignored"}`
	var s Scope
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.Scope != "app-baseline" || s.Location != "us-east-1" || s.Step != 60 || s.ExtendedScopeParams["k"] != "v" ||
		!s.Start.Equal(time.Date(2020, 7, 27, 19, 17, 36, 0, time.UTC)) ||
		!s.End.Equal(time.Date(2020, 7, 27, 19, 21, 36, 5e8, time.UTC)) {
		t.Fatalf("Unmarshal = %+v", s)
	}
	if s.StepDuration() != time.Minute {
		t.Errorf("StepDuration = %v", s.StepDuration())
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"scope":"app-baseline","location":"us-east-1","start":"2020-07-27T19:17:36Z","end":"2020-07-27T19:21:36.500Z","step":60,"extendedScopeParams":{"k":"v"}}`
	if string(b) != want {
		t.Errorf("Marshal =\n  %s\nwant\n  %s", b, want)
	}
	// Step as a string, epoch seconds, nulls.
	if err := json.Unmarshal([]byte(`{"start":1595877456,"end":1595877456.25,"step":"30","scope":null,"extendedScopeParams":null}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Step != 30 || s.Start.Unix() != 1595877456 || s.End.Nanosecond() != 25e7 || s.Scope != "" {
		t.Errorf("Unmarshal = %+v", s)
	}
	b, _ = json.Marshal(Scope{Step: 60})
	if string(b) != `{"step":60}` {
		t.Errorf("empty scope = %s", b)
	}
	for _, bad := range []string{`{"start":"yesterday"}`, `{"step":1.5}`, `{"step":"x"}`, `{"end":true}`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s): want an error", bad)
		}
	}
}

func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool {
		return x == y || math.IsNaN(x) && math.IsNaN(y)
	})
}
