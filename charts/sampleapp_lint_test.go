package charts

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/lint/support"
)

// `helm lint --strict` of the ctl-sampleapp chart directory, in process, with
// the default values (no apps) and with each golden case's values: no
// errors, no warnings. Only INFO messages are allowed (such as "icon is
// recommended").
func TestSampleAppHelmLint(t *testing.T) {
	cases := append([]struct{ name, values string }{{"defaults", ""}}, sampleAppGoldenCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := action.NewLint()
			l.Strict = true
			l.Namespace = testNamespace
			kv := testKubeVersion
			l.KubeVersion = &kv
			res := l.Run([]string{SampleAppName}, values(t, tc.values))
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
// something. (Helm's lint mode turns a template's fail into an INFO
// message, so duplicate app names fail `helm install` and `helm template`
// but not `helm lint`: TestSampleAppUniqueNames covers them.)
func TestSampleAppHelmLintRejectsBadValues(t *testing.T) {
	for _, v := range []string{
		"apps: [{name: a, successRate: 101}]\nreplicas: 2",
		"apps: [{name: a, metricLabels: {code: x}}]",
	} {
		l := action.NewLint()
		l.Strict = true
		res := l.Run([]string{SampleAppName}, values(t, v))
		if len(res.Errors) == 0 {
			t.Errorf("lint passed with %q", v)
		}
		t.Logf("lint errors: %v", res.Errors)
	}
}
