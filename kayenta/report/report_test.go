package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/kayenta/judge"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const judgeData = "../judge/testdata/judge/"

// fixture judges the judge package's sample config and pairs: seven metrics
// with every classification, NaN gaps, a side with no data, scopes with times.
func fixture(t testing.TB) (*judge.CanaryJudgeResult, []judge.MetricSetPair) {
	t.Helper()
	cfg, err := judge.LoadCanaryConfigFile(judgeData + "canary-config.json")
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := judge.LoadMetricSetPairListFile(judgeData + "pairs.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := judge.Judge(cfg, pairs, judge.Thresholds{Pass: 95, Marginal: 75})
	if err != nil {
		t.Fatal(err)
	}
	return res, pairs
}

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./kayenta/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test ./kayenta/report -update rewrites it):\n--- got\n%s", path, got)
	}
}

func TestWriteSummaryGolden(t *testing.T) {
	res, pairs := fixture(t)
	var buf bytes.Buffer
	if err := WriteSummary(&buf, res, pairs, false); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "summary.golden.txt", buf.Bytes())
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("colour codes without color")
	}
	for _, s := range []string{"heap                 ▄█▅", "no data", "SCORE: 0 (Fail)", "0 … 6"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("summary lacks %q", s)
		}
	}
}

func TestWriteSummaryColor(t *testing.T) {
	res, pairs := fixture(t)
	var plain, col bytes.Buffer
	if err := WriteSummary(&plain, res, pairs, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&col, res, pairs, true); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ansiGood + "Pass" + ansiReset, ansiBad + "High (critical)" + ansiReset, ansiWarn + "NodataFailMetric" + ansiReset, ansiBad + "0 (Fail)" + ansiReset} {
		if !strings.Contains(col.String(), s) {
			t.Errorf("coloured summary lacks %q", s)
		}
	}
	// Colours change no alignment: stripped, the text is the plain one.
	stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(col.String(), "")
	if stripped != plain.String() {
		t.Errorf("coloured summary without colours differs from the plain one:\n%s", stripped)
	}
}

func TestWriteSummaryWithoutPairs(t *testing.T) {
	res, _ := fixture(t)
	var buf bytes.Buffer
	if err := WriteSummary(&buf, res, nil, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "SERIES") || !strings.Contains(buf.String(), "SCORE: 0 (Fail)") {
		t.Errorf("summary without pairs:\n%s", buf.String())
	}
	assertGolden(t, "summary-without-pairs.golden.txt", buf.Bytes())
	if err := WriteSummary(&buf, nil, nil, false); err == nil {
		t.Error("nil result: no error")
	}
}
