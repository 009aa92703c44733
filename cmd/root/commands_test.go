package root

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/halconfig"
)

type cmdCase struct {
	name  string
	setup [][]string // commands run first; each must succeed
	args  []string
	stdin string
	code  int
	// out and errOut list substrings the streams must contain.
	out, errOut []string
	// notOut lists substrings neither stream may contain.
	notOut []string
	golden string
	// unchanged: the command must leave the config file byte-identical.
	unchanged bool
}

var promAdd = []string{"config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", "http://prometheus:9090"}

func TestCommands(t *testing.T) {
	cases := []cmdCase{
		// ctl version
		{name: "version", args: []string{"version"}, out: []string{"ctl version v0.0.0-test", "config schema ctl/v1"}},
		{name: "version json", args: []string{"version", "-o", "json"}, out: []string{`"version": "v0.0.0-test"`, `"configSchema": "ctl/v1"`, `"ctl/v1alpha1"`}},
		{name: "root --version", args: []string{"--version"}, out: []string{"ctl version v0.0.0-test"}},

		// printing
		{name: "canary fresh table", args: []string{"config", "canary"}, golden: "canary-fresh.txt"},
		{name: "canary fresh json", args: []string{"config", "canary", "-o", "json"}, golden: "canary-fresh.json"},
		{name: "config yaml", args: []string{"config", "-o", "yaml"}, golden: "config-fresh.yaml"},
		{name: "config table", args: []string{"config", "-o", "table"}, out: []string{"DEPLOYMENT", "default", "TYPE", "local"}},
		{name: "bad output format", args: []string{"config", "canary", "-o", "xml"}, code: 2,
			errOut: []string{`unknown output format "xml"`, "table, yaml, json", "ctl config canary --help"}},
		{name: "unknown flag", args: []string{"config", "canary", "enable", "--bogus"}, code: 2, errOut: []string{"unknown flag: --bogus"}},
		{name: "unknown command", args: []string{"config", "canery"}, code: 2, errOut: []string{"unknown command"}},

		// enable / disable / edit
		{name: "enable", args: []string{"config", "canary", "enable"}, out: []string{"+ Enabled canary analysis"},
			errOut: []string{"WARNING default.canary: There is no account of type CONFIGURATION_STORE and OBJECT_STORE"}},
		{name: "enable twice", setup: [][]string{{"config", "canary", "enable"}}, args: []string{"config", "canary", "enable"},
			out: []string{"- No changes supplied."}, unchanged: true},
		{name: "disable", setup: [][]string{{"config", "canary", "enable"}}, args: []string{"config", "canary", "disable"}, out: []string{"+ Disabled canary analysis"}},
		{name: "edit bool halyard style", args: []string{"config", "canary", "edit", "--stages-enabled", "false", "--templates-enabled=false", "--show-all-configs-enabled", "false", "--redux-logger-enabled=false"},
			out: []string{"+ Edited canary analysis settings"}},
		{name: "edit bool halyard style result", setup: [][]string{{"config", "canary", "edit", "--stages-enabled", "false", "--redux-logger-enabled", "false"}},
			args: []string{"config", "canary", "-o", "yaml"}, out: []string{"stagesEnabled: false", "reduxLoggerEnabled: false", "templatesEnabled: true"}},
		{name: "edit atlas url halyard spelling", args: []string{"config", "canary", "edit", "--atlasWebComponentsUrl", "https://atlas.example/wc"},
			out: []string{"+ Edited"}},
		{name: "edit nothing", args: []string{"config", "canary", "edit"}, out: []string{"- No changes supplied."}},
		{name: "edit default judge custom warns", args: []string{"config", "canary", "edit", "--default-judge", "CUSTOM_JUDGE"},
			out: []string{"+ Edited"}, errOut: []string{`WARNING default.canary.defaultJudge: Judge "CUSTOM_JUDGE" is not bundled`}},
		{name: "edit missing metrics account blocked", setup: [][]string{{"config", "canary", "enable"}},
			args: []string{"config", "canary", "edit", "--default-metrics-account", "nope"}, code: 1,
			errOut: []string{`! ERROR default.canary.defaultMetricsAccount: Account "nope" does not exist.`, "the change was not saved"}, unchanged: true},
		{name: "edit missing metrics account no-validate", args: []string{"config", "canary", "edit", "--default-metrics-account", "nope", "--no-validate"},
			out: []string{"+ Edited"}},
		{name: "default storage account wrong type", setup: [][]string{{"config", "canary", "aws", "enable"}, {"config", "canary", "aws", "account", "add", "s3", "--bucket", "b"}},
			args: []string{"config", "canary", "edit", "--default-storage-account", "s3"}, code: 1,
			errOut: []string{`Account "s3" (aws) does not support OBJECT_STORE`, "ctl config canary aws edit --s3-enabled=true"}, unchanged: true},
		{name: "default metrics store not enabled", args: []string{"config", "canary", "edit", "--default-metrics-store", "prometheus"}, code: 1,
			errOut: []string{`Default metrics store "prometheus" is not enabled`, "ctl config canary prometheus enable"}},
		{name: "default metrics store unknown", args: []string{"config", "canary", "edit", "--default-metrics-store", "graphite"}, code: 1,
			errOut: []string{`Unknown metrics store "graphite"`}},

		// providers
		{name: "prometheus enable", args: []string{"config", "canary", "prometheus", "enable"}, out: []string{"+ Enabled canary integration prometheus"},
			errOut: []string{"WARNING default.canary.prometheus: Prometheus is enabled but has no accounts."}},
		{name: "prometheus add", args: promAdd, out: []string{"+ Added prometheus account my-prometheus"}},
		{name: "prometheus add missing base url", args: []string{"config", "canary", "prometheus", "account", "add", "p"}, code: 2,
			errOut: []string{"required flag --base-url not set"}, unchanged: true},
		{name: "prometheus add bad url", args: []string{"config", "canary", "prometheus", "account", "add", "p", "--base-url", "prometheus:9090"}, code: 1,
			errOut: []string{"accounts[p].endpoint.baseUrl", "not a usable URL"}, unchanged: true},
		{name: "prometheus add bad name", args: []string{"config", "canary", "prometheus", "account", "add", "My_Prom", "--base-url", "http://p:9090"}, code: 1,
			errOut: []string{`Account name "My_Prom" must match`}},
		{name: "prometheus add duplicate", setup: [][]string{promAdd}, args: promAdd, code: 1,
			errOut: []string{`canary account "my-prometheus" already exists in prometheus`}, unchanged: true},
		{name: "duplicate across providers", setup: [][]string{promAdd},
			args: []string{"config", "canary", "datadog", "account", "add", "my-prometheus", "--base-url", "https://api.datadoghq.com", "--api-key", "k", "--application-key", "a"}, code: 1,
			errOut: []string{"already exists in prometheus"}},
		{name: "prometheus add password prompt", args: []string{"config", "canary", "prometheus", "account", "add", "p", "--base-url", "http://p:9090", "--username", "u", "--password"},
			stdin: "s3cret\n", out: []string{"+ Added prometheus account p"}, notOut: []string{"s3cret"}},
		{name: "prometheus add password value", args: []string{"config", "canary", "prometheus", "account", "add", "p", "--base-url", "http://p:9090", "--username", "u", "--password", "s3cret"},
			out: []string{"+ Added prometheus account p"}, notOut: []string{"s3cret"}},
		{name: "prometheus get redacts", setup: [][]string{{"config", "canary", "prometheus", "account", "add", "p", "--base-url", "http://p:9090", "--username", "u", "--password", "s3cret"}},
			args: []string{"config", "canary", "prometheus", "account", "get", "p", "-o", "yaml"}, golden: "prometheus-get.yaml", notOut: []string{"s3cret"}},
		{name: "prometheus get table", setup: [][]string{{"config", "canary", "prometheus", "account", "add", "p", "--base-url", "http://p:9090", "--password", "s3cret", "--username", "u"}},
			args: []string{"config", "canary", "prometheus", "account", "get", "p"}, out: []string{"password:", "<redacted>", "endpoint.baseUrl:", "http://p:9090"}, notOut: []string{"s3cret"}},
		{name: "prometheus get missing", args: []string{"config", "canary", "prometheus", "account", "get", "nope"}, code: 1,
			errOut: []string{`prometheus account "nope" does not exist in deployment default (have: none)`}},
		{name: "prometheus get no arg", args: []string{"config", "canary", "prometheus", "account", "get"}, code: 2, errOut: []string{"needs exactly one ACCOUNT"}},
		{name: "prometheus edit", setup: [][]string{promAdd}, args: []string{"config", "canary", "prometheus", "account", "edit", "my-prometheus", "--base-url", "http://other:9090"},
			out: []string{"+ Edited prometheus account my-prometheus"}},
		{name: "prometheus edit clears field", setup: [][]string{promAdd, {"config", "canary", "prometheus", "account", "edit", "my-prometheus", "--username", "u"}, {"config", "canary", "prometheus", "account", "edit", "my-prometheus", "--username", ""}},
			args: []string{"config", "canary", "prometheus", "account", "get", "my-prometheus", "-o", "yaml"}, notOut: []string{"username"}},
		{name: "prometheus edit missing", args: []string{"config", "canary", "prometheus", "account", "edit", "x", "--base-url", "http://a:1"}, code: 1, errOut: []string{"does not exist"}},
		{name: "prometheus edit interval", args: []string{"config", "canary", "prometheus", "edit", "--metadata-caching-interval-ms", "30000"}, out: []string{"+ Edited canary integration prometheus"}},
		{name: "prometheus edit interval bad", args: []string{"config", "canary", "prometheus", "edit", "--metadata-caching-interval-ms", "-5"}, code: 2, errOut: []string{"positive number"}, unchanged: true},
		{name: "prometheus edit interval not number", args: []string{"config", "canary", "prometheus", "edit", "--metadata-caching-interval-ms", "soon"}, code: 2, errOut: []string{"invalid argument"}},
		{name: "prometheus list json", setup: [][]string{promAdd}, args: []string{"config", "canary", "prometheus", "account", "list", "-o", "json"}, golden: "prometheus-list.json"},
		{name: "prometheus list table", setup: [][]string{promAdd}, args: []string{"config", "canary", "prometheus", "account", "list"}, out: []string{"NAME", "ENDPOINT.BASEURL", "my-prometheus", "METRICS_STORE"}},
		{name: "prometheus list empty", args: []string{"config", "canary", "prometheus", "account", "list"}, out: []string{"No Prometheus accounts"}},
		{name: "prometheus list empty json", args: []string{"config", "canary", "prometheus", "account", "list", "-o", "json"}, out: []string{"[]"}},
		{name: "prometheus delete", setup: [][]string{promAdd}, args: []string{"config", "canary", "prometheus", "account", "delete", "my-prometheus"}, out: []string{"- Deleted prometheus account my-prometheus"}},
		{name: "delete default account blocked", setup: [][]string{{"config", "canary", "prometheus", "enable"}, promAdd, {"config", "canary", "edit", "--default-metrics-account", "my-prometheus"}},
			args: []string{"config", "canary", "prometheus", "account", "delete", "my-prometheus"}, code: 1, errOut: []string{"defaultMetricsAccount"}, unchanged: true},
		{name: "prometheus integration json", setup: [][]string{promAdd}, args: []string{"config", "canary", "prometheus", "-o", "json"}, out: []string{`"name": "prometheus"`, `"baseUrl": "http://prometheus:9090"`}},

		{name: "aws add secret prompt", args: []string{"config", "canary", "aws", "account", "add", "my-s3", "--bucket", "b", "--access-key-id", "AK", "--secret-access-key"},
			stdin: "SK\n", out: []string{"+ Added aws account my-s3"}},
		{name: "aws add secret prompt stored", setup: [][]string{{"config", "canary", "aws", "account", "add", "my-s3", "--bucket", "b", "--access-key-id", "AK", "--secret-access-key", "SECRETVALUE"}},
			args: []string{"config", "canary", "aws", "account", "list", "-o", "json"}, out: []string{`"secretAccessKey": "<redacted>"`, `"rootFolder": "kayenta"`}, notOut: []string{"SECRETVALUE"}},
		{name: "aws secret without key id", args: []string{"config", "canary", "aws", "account", "add", "my-s3", "--bucket", "b", "--secret-access-key", "x"}, code: 1,
			errOut: []string{"accessKeyId and secretAccessKey must be given together"}},
		{name: "aws s3 enabled without bucket", setup: [][]string{{"config", "canary", "aws", "account", "add", "a"}},
			args: []string{"config", "canary", "aws", "edit", "--s3-enabled"}, code: 1, errOut: []string{"S3 is enabled but no AWS account has a bucket"}},
		{name: "aws bad endpoint", args: []string{"config", "canary", "aws", "account", "add", "a", "--endpoint", "http://"}, code: 1, errOut: []string{"not a usable endpoint"}},
		{name: "aws edit s3 true halyard", setup: [][]string{{"config", "canary", "aws", "account", "add", "a", "--bucket", "b"}},
			args: []string{"config", "canary", "aws", "edit", "--s3-enabled", "true"}, out: []string{"+ Edited canary integration aws"}},

		{name: "google add", args: []string{"config", "canary", "google", "account", "add", "g", "--project", "p", "--bucket", "b", "--bucket-location", "us"}, out: []string{"+ Added google account g"}},
		{name: "google add requires project", args: []string{"config", "canary", "google", "account", "add", "g"}, code: 2, errOut: []string{"--project"}},
		{name: "google json path relative made absolute", args: []string{"config", "canary", "google", "account", "add", "g", "--project", "p", "--json-path", "key.json", "--no-validate"}, out: []string{"+ Added"}},
		{name: "google json path unreadable", args: []string{"config", "canary", "google", "account", "add", "g", "--project", "p", "--json-path", "/nonexistent/key.json"}, code: 1,
			errOut: []string{"FATAL", "jsonPath", "Cannot read the JSON key"}},
		{name: "google edit", args: []string{"config", "canary", "google", "edit", "--gcs-enabled=false", "--stackdriver-enabled", "true", "--metadata-caching-interval-ms", "1000"}, out: []string{"+ Edited canary integration google"}},
		{name: "google types follow settings", setup: [][]string{{"config", "canary", "google", "account", "add", "g", "--project", "p", "--bucket", "b"}, {"config", "canary", "google", "edit", "--stackdriver-enabled", "--gcs-enabled"}},
			args: []string{"config", "canary", "google", "account", "get", "g", "-o", "json"}, out: []string{`"METRICS_STORE",`, `"OBJECT_STORE",`, `"CONFIGURATION_STORE"`}},

		{name: "datadog add prompts both", args: []string{"config", "canary", "datadog", "account", "add", "dd", "--base-url", "https://api.datadoghq.com", "--api-key", "--application-key"},
			stdin: "API\nAPP\n", out: []string{"+ Added datadog account dd"}},
		{name: "datadog add missing keys", args: []string{"config", "canary", "datadog", "account", "add", "dd", "--base-url", "https://api.datadoghq.com"}, code: 2, errOut: []string{"--api-key"}},
		{name: "datadog edit", args: []string{"config", "canary", "datadog", "edit", "--metadata-caching-interval-ms", "5000"}, out: []string{"+ Edited"}},
		{name: "signalfx add", args: []string{"config", "canary", "signalfx", "account", "add", "sfx", "--access-token", "tok", "--default-scope-key", "server_scope", "--default-location-key", "region"}, out: []string{"+ Added signalfx account sfx"}},
		{name: "signalfx has no edit", args: []string{"config", "canary", "signalfx", "edit"}, code: 2, errOut: []string{"unknown command"}},
		{name: "newrelic add", args: []string{"config", "canary", "newrelic", "account", "add", "nr", "--base-url", "https://insights-api.newrelic.com", "--api-key", "k", "--application-key", "12345"}, out: []string{"+ Added newrelic account nr"}},
		{name: "newrelic application key shown", setup: [][]string{{"config", "canary", "newrelic", "account", "add", "nr", "--base-url", "https://insights-api.newrelic.com", "--api-key", "KEY", "--application-key", "12345"}},
			args: []string{"config", "canary", "newrelic", "account", "get", "nr", "-o", "yaml"}, out: []string{"applicationKey: \"12345\"", "apiKey: <redacted>"}, notOut: []string{"KEY\n"}},
		{name: "newrelic disable", args: []string{"config", "canary", "newrelic", "disable"}, out: []string{"- No changes supplied."}},

		// deployments
		{name: "unknown deployment", args: []string{"config", "canary", "--deployment", "prod"}, code: 1,
			errOut: []string{`deployment "prod" does not exist (have: default)`, "ctl config --set-current-deployment prod"}},
		{name: "set current deployment", args: []string{"config", "--set-current-deployment", "staging"}, out: []string{"+ Created deployment staging and made it current"}},
		{name: "set current deployment bad name", args: []string{"config", "--set-current-deployment", "Bad Name"}, code: 2, errOut: []string{"not a valid deployment name"}},
		{name: "edit other deployment", setup: [][]string{{"config", "--set-current-deployment", "staging"}, {"config", "--set-current-deployment", "default"}, {"config", "canary", "enable", "--deployment", "staging"}},
			args: []string{"config", "canary", "-o", "json", "--deployment", "staging"}, out: []string{`"enabled": true`}},
		{name: "other deployment untouched", setup: [][]string{{"config", "--set-current-deployment", "staging"}, {"config", "--set-current-deployment", "default"}, {"config", "canary", "enable", "--deployment", "staging"}},
			args: []string{"config", "canary", "-o", "yaml"}, out: []string{"enabled: false\nserviceIntegrations"}},

		// deploy environment
		{name: "deploy edit", args: []string{"config", "deploy", "edit", "--type", "distributed", "--account-name", "kind-kind", "--namespace", "canary"},
			out: []string{"+ Edited deployment environment"}},
		{name: "deploy show", setup: [][]string{{"config", "deploy", "edit", "--type", "distributed", "--account-name", "ctx", "--namespace", "canary"}},
			args: []string{"config", "deploy", "-o", "yaml"}, golden: "deploy-distributed.yaml"},
		{name: "deploy edit bad type", args: []string{"config", "deploy", "edit", "--type", "cloud"}, code: 2, errOut: []string{"--type must be local or distributed"}, unchanged: true},
		{name: "deploy edit bad namespace", args: []string{"config", "deploy", "edit", "--namespace", "Not_A_Namespace"}, code: 1, errOut: []string{"deploymentEnvironment.location"}},
		{name: "deploy edit missing kubeconfig", args: []string{"config", "deploy", "edit", "--kubeconfig", "/nonexistent/kubeconfig"}, code: 1, errOut: []string{"cannot read kubeconfig"}},
		{name: "distributed without context warns", args: []string{"config", "deploy", "edit", "--type", "distributed"}, errOut: []string{"WARNING default.deploymentEnvironment.accountName"}},

		// validate
		{name: "validate fresh", args: []string{"config", "validate"}, out: []string{"+ Deployment default is valid (0 warning(s))"}},
		{name: "validate errors exit 1", setup: [][]string{{"config", "canary", "edit", "--default-metrics-account", "ghost", "--no-validate"}},
			args: []string{"config", "validate"}, code: 1, errOut: []string{`! ERROR default.canary.defaultMetricsAccount: Account "ghost" does not exist.`, "1 problem(s) that block a deploy"}},
		{name: "validate json", setup: [][]string{{"config", "canary", "enable"}},
			args: []string{"config", "validate", "-o", "json"}, out: []string{`"severity": "WARNING"`, `"location": "default.canary"`}},

		// completion
		{name: "completion bash", args: []string{"completion", "bash"}, out: []string{"__start_ctl"}},
		{name: "completion zsh", args: []string{"completion", "zsh"}, out: []string{"#compdef ctl"}},
		{name: "completion fish", args: []string{"completion", "fish"}, out: []string{"complete -c ctl"}},
		{name: "completion bad shell", args: []string{"completion", "tcsh"}, code: 2},
		{name: "complete account names", setup: [][]string{promAdd, {"config", "canary", "prometheus", "account", "add", "other", "--base-url", "http://o:9090"}},
			args: []string{"__complete", "config", "canary", "prometheus", "account", "get", ""}, out: []string{"my-prometheus\nother\n"}},
		{name: "complete default metrics account", setup: [][]string{promAdd, {"config", "canary", "aws", "account", "add", "s3", "--bucket", "b"}},
			args: []string{"__complete", "config", "canary", "edit", "--default-metrics-account", ""}, out: []string{"my-prometheus\n"}, notOut: []string{"s3\n"}},
		{name: "complete deployments", setup: [][]string{{"config", "--set-current-deployment", "staging"}},
			args: []string{"__complete", "config", "canary", "--deployment", ""}, out: []string{"default\nstaging\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for _, s := range tc.setup {
				e.ok(s...)
			}
			before := e.configBytes()
			r := e.run(tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.out, r.err)
			}
			for _, s := range tc.out {
				if !strings.Contains(r.out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.out)
				}
			}
			for _, s := range tc.errOut {
				if !strings.Contains(r.err, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.err)
				}
			}
			for _, s := range tc.notOut {
				if strings.Contains(r.out+r.err, s) {
					t.Errorf("output contains %q:\n%s%s", s, r.out, r.err)
				}
			}
			if tc.golden != "" {
				assertGolden(t, tc.golden, r.out)
			}
			if tc.unchanged && !bytes.Equal(before, e.configBytes()) {
				t.Errorf("config changed:\n--- before\n%s\n--- after\n%s", before, e.configBytes())
			}
		})
	}
}

// TestSecretsNeverPrinted adds an account with every secret field of every
// provider and checks that no read command prints one.
func TestSecretsNeverPrinted(t *testing.T) {
	e := newEnv(t)
	var secrets []string
	for _, p := range halconfig.Providers {
		args := []string{"config", "canary", p.Name, "account", "add", "acct-" + p.Name, "--no-validate"}
		for _, f := range p.Fields {
			v := "v-" + p.Name + "-" + f.Flag
			if f.URL {
				v = "http://example.com/" + p.Name
			}
			if f.Secret {
				v = "SECRET-" + p.Name + "-" + f.Flag
				secrets = append(secrets, v)
			}
			args = append(args, "--"+f.Flag, v)
		}
		e.ok(args...)
	}
	file := string(e.configBytes())
	for _, s := range secrets {
		if !strings.Contains(file, s) {
			t.Fatalf("secret %s not stored", s)
		}
	}
	var reads [][]string
	for _, f := range []string{"yaml", "json", "table"} {
		reads = append(reads, []string{"config", "-o", f}, []string{"config", "canary", "-o", f})
		for _, p := range halconfig.Providers {
			reads = append(reads, []string{"config", "canary", p.Name, "-o", f},
				[]string{"config", "canary", p.Name, "account", "list", "-o", f},
				[]string{"config", "canary", p.Name, "account", "get", "acct-" + p.Name, "-o", f})
		}
	}
	reads = append(reads, []string{"config", "validate", "-o", "json"})
	for _, args := range reads {
		r := e.run("", args...)
		for _, s := range secrets {
			if strings.Contains(r.out+r.err, s) {
				t.Errorf("ctl %s printed secret %s", strings.Join(args, " "), s)
			}
		}
	}
}

func TestConfigPathOverride(t *testing.T) {
	e := newEnv(t)
	alt := filepath.Join(t.TempDir(), "alt.yaml")
	e.ok("--config", alt, "config", "canary", "enable")
	if _, err := os.Stat(alt); err != nil {
		t.Fatalf("--config file not written: %v", err)
	}
	if len(e.configBytes()) != 0 {
		t.Fatal("$CTL_HOME/config written although --config was given")
	}
	alt2 := filepath.Join(t.TempDir(), "env.yaml")
	e.vars["CTL_CONFIG"] = alt2
	e.ok("config", "canary", "prometheus", "enable")
	if b, err := os.ReadFile(alt2); err != nil || !strings.Contains(string(b), "name: prometheus\n      enabled: true") {
		t.Fatalf("CTL_CONFIG file: %v\n%s", err, b)
	}
	// --config wins over CTL_CONFIG.
	r := e.ok("--config", alt, "config", "canary", "-o", "json")
	if !strings.Contains(r.out, `"enabled": true`) {
		t.Errorf("--config not preferred over CTL_CONFIG:\n%s", r.out)
	}
}

func TestBrokenFileLeftAsIs(t *testing.T) {
	e := newEnv(t)
	e.ok("config", "canary", "enable")
	path := filepath.Join(e.home, "config")
	broken := strings.Replace(string(e.configBytes()), "    reduxLoggerEnabled: true", "    reduxLoggerEnabled: true\n    reduxLogger: yes", 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"config", "canary", "disable"}, {"config", "canary"}, promAdd} {
		r := e.run("", args...)
		if r.code != 1 || !strings.Contains(r.err, path+":") || !strings.Contains(r.err, `unknown field "reduxLogger"`) {
			t.Errorf("ctl %s: exit %d, stderr %s", strings.Join(args, " "), r.code, r.err)
		}
		if string(e.configBytes()) != broken {
			t.Fatalf("ctl %s changed a broken file", strings.Join(args, " "))
		}
	}
}

func TestMigrationThroughCommand(t *testing.T) {
	e := newEnv(t)
	old := `apiVersion: ctl/v1alpha1
kind: Halconfig
currentDeployment: default
deploymentConfigurations:
- name: default
  canary:
    enabled: true
    serviceIntegrations:
      prometheus:
        enabled: true
        accounts:
        - name: my-prometheus
          endpoint:
            baseUrl: http://prometheus:9090
`
	path := filepath.Join(e.home, "config")
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	// Reading migrates in memory only.
	r := e.ok("config", "canary", "prometheus", "account", "list", "-o", "json")
	if !strings.Contains(r.out, "my-prometheus") || string(e.configBytes()) != old {
		t.Fatalf("read: %s / file changed: %v", r.out, string(e.configBytes()) != old)
	}
	r = e.ok("config", "canary", "edit", "--default-metrics-account", "my-prometheus")
	if !strings.Contains(r.err, "Migrated") || !strings.Contains(r.err, "ctl/v1alpha1") {
		t.Errorf("no migration notice: %s", r.err)
	}
	if b, err := os.ReadFile(path + ".ctl-v1alpha1.bak"); err != nil || string(b) != old {
		t.Errorf("previous file not kept: %v", err)
	}
	if !strings.HasPrefix(string(e.configBytes()), "apiVersion: ctl/v1\n") {
		t.Errorf("file not migrated:\n%s", e.configBytes())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.home, "config")
	content := "apiVersion: ctl/v7\nkind: Halconfig\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("", "config", "canary", "enable")
	if r.code != 1 || !strings.Contains(r.err, `apiVersion "ctl/v7"`) || !strings.Contains(r.err, "upgrade ctl") || !strings.Contains(r.err, "ctl/v1alpha1, ctl/v1") {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	if string(e.configBytes()) != content {
		t.Error("file changed")
	}
}

func TestImportSeedListing(t *testing.T) {
	e := newEnv(t)
	listing := "../../halconfig/testdata/halyard/seed-blog.yml"
	// The listing's placeholder URL does not parse: refused, nothing written.
	r := e.run("", "config", "import", "--halconfig", listing)
	if r.code != 1 || !strings.Contains(r.err, "endpoint.baseUrl") {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if len(e.configBytes()) != 0 {
		t.Fatal("refused import wrote the config")
	}
	// A copy with a real URL imports into an existing ctl home with --force.
	raw, _ := os.ReadFile(listing)
	fixed := filepath.Join(t.TempDir(), "config")
	os.WriteFile(fixed, []byte(strings.ReplaceAll(string(raw), "YOUR_PROMETHEUS_SERVER:PORT", "prometheus:9090")), 0o600)
	e.ok("config", "canary", "enable")
	r = e.run("", "config", "import", "--halconfig", fixed)
	if r.code != 1 || !strings.Contains(r.err, "--force") {
		t.Fatalf("import over existing deployment: exit %d: %s", r.code, r.err)
	}
	r = e.ok("config", "import", "--halconfig", fixed, "--force")
	if !strings.Contains(r.out, "+ Replaced deployment default") {
		t.Errorf("stdout: %s", r.out)
	}
	r = e.ok("config", "canary", "-o", "yaml")
	for _, s := range []string{"baseUrl: http://prometheus:9090", "defaultStorageAccount: my-s3", "secretAccessKey: <redacted>", "name: signalfx"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("imported canary lacks %q:\n%s", s, r.out)
		}
	}
}
