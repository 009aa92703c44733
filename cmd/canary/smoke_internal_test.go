//go:build !servicebinary

package canary

import "testing"

func TestSmokeReportPath(t *testing.T) {
	for _, tc := range []struct {
		path, sc string
		n        int
		want     string
	}{
		{"out/report.html", "healthy", 1, "out/report.html"},
		{"out/report.html", "faulty", 2, "out/report-faulty.html"},
		{"report", "healthy", 2, "report-healthy.html"},
	} {
		if got := smokeReportPath(tc.path, tc.sc, tc.n); got != tc.want {
			t.Errorf("smokeReportPath(%q, %q, %d) = %q, want %q", tc.path, tc.sc, tc.n, got, tc.want)
		}
	}
}
