package halconfig

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// wantProblem is a problem a validation case must report: its severity,
// its location (without the "default." prefix) and part of its message.
type wantProblem struct {
	sev Severity
	loc string
	msg string
}

func addAccount(d *DeploymentConfiguration, integ, name string, kv ...string) *Account {
	a := &Account{Name: name, Values: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		a.Set(kv[i], kv[i+1])
	}
	si := d.Canary.Integration(integ)
	si.Accounts = append(si.Accounts, a)
	return a
}

func promAcct(d *DeploymentConfiguration) *Account {
	return d.Canary.Integration("prometheus").Account("my-prometheus")
}
func s3Acct(d *DeploymentConfiguration) *Account { return d.Canary.Integration("aws").Account("my-s3") }

// TestValidate runs every check of validate.go on the seed setup with one
// change each. Each case lists every problem the change gives, no more.
func TestValidate(t *testing.T) {
	const promLoc = "canary.prometheus.accounts[my-prometheus]"
	const s3Loc = "canary.aws.accounts[my-s3]"
	const gcpLoc = "canary.google.accounts[gcp]"
	tests := []struct {
		name   string
		mutate func(t *testing.T, d *DeploymentConfiguration)
		want   []wantProblem
	}{
		{"seed is valid", func(*testing.T, *DeploymentConfiguration) {}, nil},

		// Account names (Halyard's CanaryAccountValidator).
		{"account name with capitals", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Name = "My-Prom"
			d.Canary.DefaultMetricsAccount = "My-Prom"
		}, []wantProblem{{Error, "canary.prometheus.accounts[My-Prom]", `Account name "My-Prom" must match`}}},
		{"account name ending in a dash", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Name = "s3-"
			d.Canary.DefaultStorageAccount = "s3-"
		}, []wantProblem{{Error, "canary.aws.accounts[s3-]", "must match"}}},
		{"account name with underscore and digits", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Name = "s3_store-2"
			d.Canary.DefaultStorageAccount = "s3_store-2"
		}, nil},
		{"account without name", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "prometheus", "", "endpoint.baseUrl", "http://p:9090")
		}, []wantProblem{{Fatal, "canary.prometheus.accounts[]", "Canary account name must be specified"}}},
		{"duplicate account across integrations", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "newrelic", "my-prometheus", "endpoint.baseUrl", "https://insights-api.newrelic.com", "apiKey", "k", "applicationKey", "1")
		}, []wantProblem{{Fatal, "canary.newrelic.accounts[my-prometheus]", `Canary account "my-prometheus" appears more than once (also in prometheus)`}}},

		// Integrations and storage.
		{"enabled integration without accounts", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Integration("datadog").Enabled = true
		}, []wantProblem{{Warning, "canary.datadog", "Datadog is enabled but has no accounts"}}},
		{"canary enabled without object store", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Integration("aws").S3Enabled = false
			d.Canary.DefaultStorageAccount = ""
		}, []wantProblem{{Warning, "canary", "no account of type CONFIGURATION_STORE and OBJECT_STORE"}}},
		{"canary disabled without object store", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Enabled = false
			d.Canary.Integration("aws").S3Enabled = false
			d.Canary.DefaultStorageAccount = ""
		}, nil},
		{"s3Enabled without bucketed account", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("bucket", "")
		}, []wantProblem{{Error, "canary.aws.s3Enabled", "S3 is enabled but no AWS account has a bucket"}}},
		{"gcsEnabled without bucket", func(t *testing.T, d *DeploymentConfiguration) {
			si := d.Canary.Integration("google")
			si.Enabled, si.GCSEnabled = true, true
			addAccount(d, "google", "gcp", "project", "p")
		}, []wantProblem{{Error, "canary.google.gcsEnabled", "GCS is enabled but no Google account has a bucket"}}},
		{"gcs with bucketed account", func(t *testing.T, d *DeploymentConfiguration) {
			si := d.Canary.Integration("google")
			si.Enabled, si.GCSEnabled = true, true
			addAccount(d, "google", "gcp", "project", "p", "bucket", "b")
		}, nil},
		{"google bucket without project", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "google", "gcp", "bucket", "b")
		}, []wantProblem{
			// Required-field check and Halyard's bucketed-account check both fire.
			{Error, gcpLoc + ".project", "Google accounts need project"},
			{Error, gcpLoc + ".project", "A bucketed Google account needs a project"},
		}},
		{"jsonPath unreadable", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "google", "gcp", "project", "p", "jsonPath", filepath.Join(t.TempDir(), "missing.json"))
		}, []wantProblem{{Fatal, gcpLoc + ".jsonPath", "Cannot read the JSON key"}}},
		{"jsonPath empty", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "google", "gcp", "project", "p", "jsonPath", writeFile(t, t.TempDir(), "k.json", nil, 0o600))
		}, []wantProblem{{Warning, gcpLoc + ".jsonPath", "The JSON key file is empty"}}},
		{"jsonPath readable", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "google", "gcp", "project", "p", "jsonPath", writeFile(t, t.TempDir(), "k.json", []byte(`{"type":"service_account"}`), 0o600))
		}, nil},
		{"jsonPath encrypted is not read", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "google", "gcp", "project", "p", "jsonPath", "encrypted:secrets!f:k.json")
		}, nil},
		{"metadataCachingIntervalMS zero", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Integration("prometheus").MetadataCachingIntervalMS = i64(0)
		}, []wantProblem{{Error, "canary.prometheus.metadataCachingIntervalMS", "must be a positive number"}}},

		// Prometheus credentials file.
		{"usernamePasswordFile unreadable", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("usernamePasswordFile", filepath.Join(t.TempDir(), "nope"))
		}, []wantProblem{{Fatal, promLoc + ".usernamePasswordFile", "Cannot read the username/password file"}}},
		{"usernamePasswordFile empty", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("usernamePasswordFile", writeFile(t, t.TempDir(), "up", []byte(" \n"), 0o600))
		}, []wantProblem{{Error, promLoc + ".usernamePasswordFile", "is empty"}}},
		{"usernamePasswordFile without colon", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("usernamePasswordFile", writeFile(t, t.TempDir(), "up", []byte("admin\n"), 0o600))
		}, []wantProblem{{Error, promLoc + ".usernamePasswordFile", "no ':'"}}},
		{"usernamePasswordFile good", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("usernamePasswordFile", writeFile(t, t.TempDir(), "up", []byte("admin:secret\n"), 0o600))
		}, nil},
		{"usernamePasswordFile encrypted is not read", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("usernamePasswordFile", "encrypted:secrets!f:prom-auth")
		}, nil},
		{"password without username", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("password", "secret")
		}, []wantProblem{{Warning, promLoc + ".password", "A password without a username is ignored"}}},

		// URLs and endpoints.
		{"base URL does not parse (blog placeholder)", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "http://YOUR_PROMETHEUS_SERVER:PORT")
		}, []wantProblem{{Error, promLoc + ".endpoint.baseUrl", `invalid port ":PORT"`}}},
		{"base URL bad scheme", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "ftp://prometheus:9090")
		}, []wantProblem{{Error, promLoc + ".endpoint.baseUrl", "scheme must be http or https"}}},
		{"base URL without scheme", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "prometheus:9090")
		}, []wantProblem{{Error, promLoc + ".endpoint.baseUrl", "scheme must be http or https"}}},
		{"base URL without host", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "http:///api")
		}, []wantProblem{{Error, promLoc + ".endpoint.baseUrl", "no host"}}},
		{"base URL bad port", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "http://prometheus:99999")
		}, []wantProblem{{Error, promLoc + ".endpoint.baseUrl", `bad port "99999"`}}},
		{"base URL https with path", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "https://monitoring.example/prometheus/")
		}, nil},
		{"base URL encrypted is not checked", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "encrypted:secrets!f:prom-url")
		}, nil},
		{"datadog base URL bad", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "datadog", "dd", "endpoint.baseUrl", "app.datadoghq.com", "apiKey", "k", "applicationKey", "a")
		}, []wantProblem{{Error, "canary.datadog.accounts[dd].endpoint.baseUrl", "not a usable URL"}}},
		{"aws endpoint bare host:port", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("endpoint", "minio.minio:9000")
		}, nil},
		{"aws endpoint URL", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("endpoint", "http://minio.minio:9000")
		}, nil},
		{"aws endpoint junk", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("endpoint", "not a host")
		}, []wantProblem{{Error, s3Loc + ".endpoint", "not a usable endpoint"}}},
		{"aws endpoint bad scheme", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("endpoint", "s3://bucket")
		}, []wantProblem{{Error, s3Loc + ".endpoint", "scheme must be http or https"}}},
		{"aws endpoint bad port", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("endpoint", "minio:70000")
		}, []wantProblem{{Error, s3Loc + ".endpoint", "bad port"}}},

		// AWS keys.
		{"access key without secret", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("secretAccessKey", "")
		}, []wantProblem{{Error, s3Loc, "accessKeyId and secretAccessKey must be given together"}}},
		{"secret without access key", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("accessKeyId", "")
		}, []wantProblem{{Error, s3Loc, "accessKeyId and secretAccessKey must be given together"}}},
		{"neither key (default chain)", func(t *testing.T, d *DeploymentConfiguration) {
			s3Acct(d).Set("accessKeyId", "")
			s3Acct(d).Set("secretAccessKey", "")
		}, nil},

		// Required fields, in disabled integrations too.
		{"prometheus without base URL", func(t *testing.T, d *DeploymentConfiguration) {
			promAcct(d).Set("endpoint.baseUrl", "")
		}, []wantProblem{{Error, promLoc + ".endpoint.baseUrl", "Prometheus accounts need endpoint.baseUrl"}}},
		{"datadog without keys", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "datadog", "dd", "endpoint.baseUrl", "https://app.datadoghq.com")
		}, []wantProblem{
			{Error, "canary.datadog.accounts[dd].apiKey", "Datadog accounts need apiKey"},
			{Error, "canary.datadog.accounts[dd].applicationKey", "Datadog accounts need applicationKey"},
		}},
		{"signalfx without token", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "signalfx", "sfx")
		}, []wantProblem{{Error, "canary.signalfx.accounts[sfx].accessToken", "SignalFx accounts need accessToken"}}},
		{"newrelic without account id", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "newrelic", "nr", "endpoint.baseUrl", "https://insights-api.newrelic.com", "apiKey", "k")
		}, []wantProblem{{Error, "canary.newrelic.accounts[nr].applicationKey", "New Relic accounts need applicationKey"}}},
		{"google without project", func(t *testing.T, d *DeploymentConfiguration) {
			addAccount(d, "google", "gcp")
		}, []wantProblem{{Error, gcpLoc + ".project", "Google accounts need project"}}},

		// Defaults.
		{"default judge unknown", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultJudge = "CUSTOM_JUDGE"
		}, []wantProblem{{Warning, "canary.defaultJudge", `Judge "CUSTOM_JUDGE" is not bundled`}}},
		{"default judge empty", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultJudge = ""
		}, []wantProblem{{Error, "canary.defaultJudge", "No default judge is set"}}},
		{"defaultMetricsStore unknown", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsStore = "graphite"
		}, []wantProblem{{Error, "canary.defaultMetricsStore", `Unknown metrics store "graphite"`}}},
		{"defaultMetricsStore atlas", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsStore = "atlas"
		}, []wantProblem{{Error, "canary.defaultMetricsStore", `Metrics store "atlas" has no integration in ctl`}}},
		{"defaultMetricsStore not enabled", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsStore = "datadog"
		}, []wantProblem{{Error, "canary.defaultMetricsStore", `Default metrics store "datadog" is not enabled`}}},
		{"defaultMetricsStore without metrics account", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsStore = "stackdriver"
			d.Canary.Integration("google").Enabled = true
			addAccount(d, "google", "gcp", "project", "p") // stackdriverEnabled is false
		}, []wantProblem{{Error, "canary.defaultMetricsStore", `Default metrics store "stackdriver" has no metrics account`}}},
		{"defaultMetricsStore stackdriver", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsStore = "stackdriver"
			si := d.Canary.Integration("google")
			si.Enabled, si.StackdriverEnabled = true, true
			addAccount(d, "google", "gcp", "project", "p")
		}, nil},
		{"defaultMetricsAccount missing", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsAccount = "ghost"
		}, []wantProblem{{Error, "canary.defaultMetricsAccount", `Account "ghost" does not exist`}}},
		{"defaultMetricsAccount wrong type", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultMetricsAccount = "my-s3"
		}, []wantProblem{{Error, "canary.defaultMetricsAccount", `Account "my-s3" (aws) does not support METRICS_STORE`}}},
		{"defaultMetricsAccount disabled integration", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Integration("prometheus").Enabled = false
			d.Canary.DefaultMetricsStore = ""
		}, []wantProblem{{Error, "canary.defaultMetricsAccount", `Account "my-prometheus" belongs to prometheus, which is disabled`}}},
		{"defaultStorageAccount missing", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultStorageAccount = "ghost"
		}, []wantProblem{{Error, "canary.defaultStorageAccount", `Account "ghost" does not exist`}}},
		{"defaultStorageAccount wrong type", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.DefaultStorageAccount = "my-prometheus"
		}, []wantProblem{{Error, "canary.defaultStorageAccount", `Account "my-prometheus" (prometheus) does not support OBJECT_STORE`}}},
		{"defaultStorageAccount not yet s3Enabled", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Integration("aws").S3Enabled = false
		}, []wantProblem{
			{Warning, "canary", "no account of type CONFIGURATION_STORE and OBJECT_STORE"},
			{Error, "canary.defaultStorageAccount", `Account "my-s3" (aws) does not support OBJECT_STORE`},
		}},
		{"defaultStorageAccount disabled integration", func(t *testing.T, d *DeploymentConfiguration) {
			d.Canary.Integration("aws").Enabled = false
		}, []wantProblem{
			{Warning, "canary", "no account of type CONFIGURATION_STORE and OBJECT_STORE"},
			{Error, "canary.defaultStorageAccount", `Account "my-s3" belongs to aws, which is disabled`},
		}},

		// Deployment environment.
		{"bad environment type", func(t *testing.T, d *DeploymentConfiguration) {
			d.DeploymentEnvironment.Type = "Distributed"
		}, []wantProblem{{Error, "deploymentEnvironment.type", `unknown type "Distributed"`}}},
		{"bad namespace", func(t *testing.T, d *DeploymentConfiguration) {
			d.DeploymentEnvironment.Location = "Kayenta_NS"
		}, []wantProblem{{Error, "deploymentEnvironment.location", `namespace "Kayenta_NS" is not a valid Kubernetes namespace name`}}},
		{"namespace too long", func(t *testing.T, d *DeploymentConfiguration) {
			d.DeploymentEnvironment.Location = strings.Repeat("a", 64)
		}, []wantProblem{{Error, "deploymentEnvironment.location", "not a valid Kubernetes namespace name"}}},
		{"missing kubeconfig file", func(t *testing.T, d *DeploymentConfiguration) {
			d.DeploymentEnvironment = DeploymentEnvironment{Type: EnvDistributed, AccountName: "ctx", KubeconfigFile: filepath.Join(t.TempDir(), "kubeconfig")}
		}, []wantProblem{{Error, "deploymentEnvironment.kubeconfigFile", "cannot read kubeconfig"}}},
		{"distributed and valid", func(t *testing.T, d *DeploymentConfiguration) {
			d.DeploymentEnvironment = DeploymentEnvironment{Type: EnvDistributed, AccountName: "ctx", Location: "spinnaker",
				KubeconfigFile: writeFile(t, t.TempDir(), "kubeconfig", []byte("apiVersion: v1\n"), 0o600)}
		}, nil},
		{"distributed without context", func(t *testing.T, d *DeploymentConfiguration) {
			d.DeploymentEnvironment.Type = EnvDistributed
		}, []wantProblem{{Warning, "deploymentEnvironment.accountName", "without a kubeconfig context"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := seedDeployment(t)
			tt.mutate(t, d)
			d.Canary.Normalize() // as Edit does before validating
			got := Validate(d)
			for _, w := range tt.want {
				found := false
				for _, p := range got {
					if p.Severity == w.sev && p.Location == "default."+w.loc && strings.Contains(p.Message, w.msg) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("missing %s at default.%s containing %q; got:\n%s", w.sev, w.loc, w.msg, formatProblems(got))
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(tt.want), formatProblems(got))
			}
		})
	}
}

func formatProblems(ps Problems) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	return b.String()
}

// TestValidateGoodFiles: the seed setup, written by hand or imported from
// the blog's listing (with a real Prometheus URL), has no problem at all.
func TestValidateGoodFiles(t *testing.T) {
	for _, rel := range []string{"good/seed.yaml", "good/seed-v1alpha1.yaml", "good/two-deployments.yaml", "good/minimal.yaml"} {
		cfg := mustParse(t, rel)
		for _, d := range cfg.DeploymentConfigurations {
			if ps := Validate(d); len(ps) != 0 {
				t.Errorf("%s deployment %s:\n%s", rel, d.Name, formatProblems(ps))
			}
		}
	}
	listing := strings.ReplaceAll(string(readTestdata(t, "halyard/seed-blog.yml")), "http://YOUR_PROMETHEUS_SERVER:PORT", "http://prometheus.example:9090")
	imp, err := ImportHalyard("seed-blog.yml", []byte(listing), "")
	if err != nil {
		t.Fatal(err)
	}
	if ps := Validate(imp.Deployment); ps.Max() >= Error {
		t.Errorf("the blog's setup has errors:\n%s", formatProblems(ps))
	}
}

// TestValidateNoIntegrations: Validate must not panic on a deployment whose
// integrations were never filled in.
func TestValidateNoIntegrations(t *testing.T) {
	d := &DeploymentConfiguration{Name: "x", DeploymentEnvironment: DeploymentEnvironment{Type: EnvLocal},
		Canary: Canary{DefaultJudge: DefaultJudge, DefaultMetricsStore: "prometheus", DefaultMetricsAccount: "p", DefaultStorageAccount: "s"}}
	ps := Validate(d)
	var locs []string
	for _, p := range ps {
		locs = append(locs, p.Location)
	}
	want := []string{"x.canary.defaultMetricsStore", "x.canary.defaultMetricsAccount", "x.canary.defaultStorageAccount"}
	if !reflect.DeepEqual(locs, want) {
		t.Errorf("problems at %v, want %v", locs, want)
	}
}

func TestProblems(t *testing.T) {
	w := Problem{Severity: Warning, Location: "d.canary", Message: "w"}
	e := Problem{Severity: Error, Location: "d.canary.x", Message: "e", Remediation: "fix x"}
	f := Problem{Severity: Fatal, Location: "d.canary.y", Message: "f"}
	ps := Problems{w, e, f}
	if ps.Max() != Fatal || (Problems{w}).Max() != Warning || Problems(nil).Max() != 0 {
		t.Error("Max")
	}
	if got := ps.Blocking(); !reflect.DeepEqual(got, Problems{e, f}) {
		t.Errorf("Blocking() = %v", got)
	}
	e2 := e
	e2.Remediation = "another fix"
	if got := (Problems{w, e2, f}).NewSince(Problems{w, e}); !reflect.DeepEqual(got, Problems{f}) {
		t.Errorf("NewSince = %v, want only the FATAL (remediation is not identity)", got)
	}
	e3 := e
	e3.Message = "other"
	if got := (Problems{e3}).NewSince(Problems{e}); len(got) != 1 {
		t.Errorf("a new message at the same location is not new: %v", got)
	}
	for sev, want := range map[Severity]string{Info: "INFO", Warning: "WARNING", Error: "ERROR", Fatal: "FATAL", 0: "NONE"} {
		if sev.String() != want {
			t.Errorf("%d.String() = %s", sev, sev.String())
		}
		if b, _ := sev.MarshalText(); string(b) != want {
			t.Errorf("%d.MarshalText() = %s", sev, b)
		}
	}
	if got := e.String(); got != "ERROR d.canary.x: e" {
		t.Errorf("Problem.String() = %q", got)
	}
}
