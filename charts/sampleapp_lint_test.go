package charts

// sampleAppLintRejects are values the ctl-sampleapp schema rejects, for
// TestHelmLintRejectsBadValues. (Helm's lint mode turns a template's fail
// into an INFO message, so duplicate app names fail `helm install` and
// `helm template` but not `helm lint`: TestSampleAppUniqueNames covers
// them.)
var sampleAppLintRejects = []string{
	"apps: [{name: a, successRate: 101}]\nreplicas: 2",
	"apps: [{name: a, metricLabels: {code: x}}]",
}
