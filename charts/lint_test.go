package charts

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/lint/support"
)

// `helm lint --strict` of the chart directory, in process, with the default
// values and with each golden case's values: no errors, no warnings. Only
// INFO messages are allowed (such as "icon is recommended").
func TestHelmLint(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			l := action.NewLint()
			l.Strict = true
			l.Namespace = testNamespace
			kv := testKubeVersion
			l.KubeVersion = &kv
			res := l.Run([]string{KayentaName}, values(t, tc.values))
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
}

// The same lint fails on values the schema rejects, so a clean lint means
// something.
func TestHelmLintRejectsBadValues(t *testing.T) {
	l := action.NewLint()
	l.Strict = true
	res := l.Run([]string{KayentaName}, values(t, "replicaCount: -1\nreplicas: 2"))
	if len(res.Errors) == 0 {
		t.Fatal("lint passed with replicaCount: -1 and an unknown key")
	}
	t.Logf("lint errors: %v", res.Errors)
}
