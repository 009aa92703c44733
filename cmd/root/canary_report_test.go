package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ctl canary judge --report-html writes the self-contained page and says where.
func TestCanaryJudgeReportHTML(t *testing.T) {
	e := newEnv(t)
	page := filepath.Join(t.TempDir(), "report.html")
	r := e.ok("canary", "judge", "--config", judgeData+"canary-config.json", "--metric-pairs", judgeData+"pairs.json", "--report-html", page)
	if !strings.Contains(r.out, "SCORE: 0 (Fail)") || !strings.Contains(r.out, "SERIES") {
		t.Errorf("summary:\n%s", r.out)
	}
	if !strings.Contains(r.err, "HTML report written to "+page) {
		t.Errorf("stderr does not say where the report is: %q", r.err)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, `<svg class="metric-chart"`); n != 7 {
		t.Errorf("%d charts, want 7", n)
	}
	for _, s := range []string{"<title>Canary report: checkout-canary</title>", "pass 95, marginal 75", "Canary Failed"} {
		if !strings.Contains(html, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	// With -o json, stdout stays pure JSON and the page is still written.
	os.Remove(page)
	r = e.ok("canary", "judge", "--config", judgeData+"canary-config.json", "--metric-pairs", judgeData+"pairs.json", "--report-html", page, "-o", "json")
	if !strings.HasPrefix(r.out, "{") || strings.Contains(r.out, "HTML report") {
		t.Errorf("json output: %.200s", r.out)
	}
	if _, err := os.Stat(page); err != nil {
		t.Error(err)
	}
	// An unwritable path is an error.
	r = e.run("", "canary", "judge", "--config", judgeData+"canary-config.json", "--metric-pairs", judgeData+"pairs.json", "--report-html", filepath.Join(t.TempDir(), "no", "dir", "r.html"))
	if r.code != 1 || !strings.Contains(r.err, "writing the HTML report") {
		t.Errorf("unwritable: exit %d, %s", r.code, r.err)
	}
}
