package judge

import (
	"encoding/json"
	"math"
	"testing"
)

var pointOne, pointTwo = 0.1, 0.2 // variables: constant 0.1+0.2 is exactly 0.3

func TestJavaDouble(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-2, "-2.0"}, {100, "100.0"},
		{33.33, "33.33"}, {87.5, "87.5"}, {0.001, "0.001"}, {0.0015, "0.0015"}, {0.0001, "1.0E-4"},
		{1.5e-5, "1.5E-5"}, {9999999, "9999999.0"}, {1e7, "1.0E7"}, {12345678.9, "1.23456789E7"},
		{1e21, "1.0E21"}, {1e23, "1.0E23"}, {5e-324, "4.9E-324"}, {math.MaxFloat64, "1.7976931348623157E308"},
		{pointOne + pointTwo, "0.30000000000000004"}, {123.456, "123.456"}, {1234567.0, "1234567.0"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
	}
	for _, tc := range tests {
		if got := javaDouble(tc.v); got != tc.want {
			t.Errorf("javaDouble(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestFloatJSON(t *testing.T) {
	b, err := json.Marshal([]Float{1, Float(math.NaN()), Float(math.Inf(-1)), 2.5e-7})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[1.0,"NaN","-Infinity",2.5E-7]` {
		t.Errorf("marshal = %s", b)
	}
	var back []Float
	if err := json.Unmarshal([]byte(`[1.0,"NaN","-Infinity",2.5E-7,null,"+Inf","12"]`), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 7 || back[0] != 1 || !math.IsNaN(float64(back[1])) || !math.IsInf(float64(back[2]), -1) ||
		back[3] != 2.5e-7 || !math.IsNaN(float64(back[4])) || !math.IsInf(float64(back[5]), 1) || back[6] != 12 {
		t.Errorf("unmarshal = %v", back)
	}
	for _, bad := range []string{`"abc"`, `true`, `{}`, `[1]`, `"0x10"`, `"1_0"`} {
		var f Float
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("Float accepted %s", bad)
		}
	}
}

func TestRoundHalfUp2(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 0}, {100, 100}, {33.333333333333336, 33.33}, {66.66666666666667, 66.67}, {0.125, 0.13},
		{1.005, 1.01}, {2.675, 2.68}, {99.995, 100}, {99.994999, 99.99}, {-1.005, -1.01}, {1e-7, 0},
		{1234.5, 1234.5}, {87.49999999999999, 87.5}, {9.999, 10},
	}
	for _, tc := range tests {
		if got := roundHalfUp2(tc.in); got != tc.want {
			t.Errorf("roundHalfUp2(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(roundHalfUp2(math.NaN())) || !math.IsInf(roundHalfUp2(math.Inf(1)), 1) {
		t.Error("NaN/Inf must pass through")
	}
}
