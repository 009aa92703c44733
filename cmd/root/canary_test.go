package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const judgeData = "../../kayenta/judge/testdata/judge/"

func TestCanaryJudge(t *testing.T) {
	e := newEnv(t)
	r := e.ok("canary", "judge", "--config", judgeData+"canary-config.json", "--metric-pairs", judgeData+"pairs.json")
	assertGolden(t, "canary-judge.txt", r.out)
	r = e.ok("canary", "judge", "--config", judgeData+"canary-config.json", "--metric-pairs", judgeData+"pairs.json", "-o", "json")
	for _, s := range []string{`"judgeName": "NetflixACAJudge-v1.0"`, `"classification": "NodataFailMetric"`, `"ciLower"`, `"pValue"`} {
		if !strings.Contains(r.out, s) {
			t.Errorf("json lacks %s", s)
		}
	}

	// A config and pairs written by hand, as a new user would.
	dir := t.TempDir()
	cfg := writeFile(t, dir, "config.json", `{"name": "my-canary", "judge": {"name": "NetflixACAJudge-v1.0"},
 "metrics": [{"name": "errors", "groups": ["errors"], "scopeName": "default",
   "analysisConfigurations": {"canary": {"direction": "increase", "critical": true}}}],
 "classifier": {"groupWeights": {"errors": 100}}}`)
	healthy := `[{"name": "errors", "tags": {}, "values": {"control": [1,2,1,2,1,2,1,2,1,2], "experiment": [2,1,2,1,2,1,2,1,2,1]}}]`
	pairs := writeFile(t, dir, "pairs.json", healthy)
	r = e.ok("canary", "judge", "--config", cfg, "--metric-pairs", pairs)
	if !strings.Contains(r.out, "SCORE: 100 (Pass)") {
		t.Errorf("healthy canary did not pass:\n%s", r.out)
	}
	faulty := `[{"name": "errors", "tags": {}, "values": {"control": [1,2,1,2,1,2,1,2,1,2], "experiment": [9,8,9,8,9,8,9,8,9,8]}}]`
	writeFile(t, dir, "pairs.json", faulty)
	r = e.ok("canary", "judge", "--config", cfg, "--metric-pairs", pairs)
	if !strings.Contains(r.out, "SCORE: 0 (Fail)") || !strings.Contains(r.out, "High (critical)") {
		t.Errorf("faulty canary did not fail:\n%s", r.out)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"missing flag", []string{"canary", "judge", "--config", cfg}, 2, `required flag(s) "metric-pairs" not set`},
		{"marginal above pass", []string{"canary", "judge", "--config", cfg, "--metric-pairs", pairs, "--pass", "50", "--marginal", "60"}, 2, "--marginal (60) must not be above --pass (50)"},
		{"missing file", []string{"canary", "judge", "--config", cfg, "--metric-pairs", filepath.Join(dir, "nope.json")}, 1, "nope.json"},
		{"bad value", []string{"canary", "judge", "--config", cfg, "--metric-pairs", writeFile(t, dir, "bad.json", `[{"name":"errors","values":{"control":[1,"x"],"experiment":[1]}}]`)}, 1, `[0].values.control[1]: want a number or "NaN", got "x"`},
		{"not json", []string{"canary", "judge", "--config", writeFile(t, dir, "c.json", `{"metrics": [`), "--metric-pairs", pairs}, 1, "c.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run("", tc.args...)
			if r.code != tc.code || !strings.Contains(r.err, tc.err) {
				t.Errorf("exit %d (want %d), stderr %s (want %q)", r.code, tc.code, r.err, tc.err)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
