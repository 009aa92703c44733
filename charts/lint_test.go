package charts

import (
	"testing"

	"helm.sh/helm/v3/pkg/lint/support"
)

// kayentaLintRejects are values the schema rejects: a negative replicaCount
// and an unknown key.
var kayentaLintRejects = []string{"replicaCount: -1\nreplicas: 2"}

// `helm lint --strict` of each chart directory, in process, with the default
// values and with each golden case's values: no errors, no warnings. Only
// INFO messages are allowed (such as "icon is recommended").
func TestHelmLint(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		for _, tc := range ch.lintCases() {
			t.Run(tc.name, func(t *testing.T) {
				res := lintChart(ch.dir, values(t, tc.values))
				if res.TotalChartsLinted != 1 {
					t.Errorf("linted %d charts, want 1", res.TotalChartsLinted)
				}
				for _, err := range res.Errors {
					t.Errorf("lint error: %v", err)
				}
				for _, m := range res.Messages {
					if m.Severity > support.InfoSev {
						t.Errorf("lint: %v", m)
					} else {
						t.Logf("lint: %v", m)
					}
				}
			})
		}
	})
}

// The same lint fails on values the schema rejects, so a clean lint means
// something.
func TestHelmLintRejectsBadValues(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		if len(ch.lintRejects) == 0 {
			t.Fatal("no values to reject")
		}
		for _, v := range ch.lintRejects {
			res := lintChart(ch.dir, values(t, v))
			if len(res.Errors) == 0 {
				t.Errorf("lint passed with %q", v)
			}
			t.Logf("lint errors: %v", res.Errors)
		}
	})
}
