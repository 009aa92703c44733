package halconfig

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedCanary is the canary section of the blog's finished setup, field by
// field, with the placeholder Prometheus URL replaced.
func seedCanary(baseURL string) Canary {
	return Canary{
		Enabled: true,
		ServiceIntegrations: []*ServiceIntegration{
			{Name: "google"},
			{Name: "prometheus", Enabled: true, Accounts: []*Account{{
				Name:           "my-prometheus",
				Values:         map[string]string{"endpoint.baseUrl": baseURL},
				SupportedTypes: []SupportedType{MetricsStore},
			}}},
			{Name: "datadog"},
			{Name: "signalfx"},
			{Name: "aws", Enabled: true, S3Enabled: true, Accounts: []*Account{{
				Name: "my-s3",
				Values: map[string]string{
					"bucket":          "spin-bucket",
					"rootFolder":      "kayenta",
					"endpoint":        "s3.seo-ap-geo.objectstorage.service.networklayer.com",
					"accessKeyId":     "ACCESS_ID",
					"secretAccessKey": "ACCESS_KEY",
				},
				SupportedTypes: []SupportedType{ObjectStore, ConfigurationStore},
			}}},
			{Name: "newrelic"},
		},
		ReduxLoggerEnabled:    true,
		DefaultMetricsAccount: "my-prometheus",
		DefaultStorageAccount: "my-s3",
		DefaultJudge:          "NetflixACAJudge-v1.0",
		DefaultMetricsStore:   "prometheus",
		StagesEnabled:         true,
		TemplatesEnabled:      true,
		ShowAllConfigsEnabled: true,
	}
}

// defaultCanary is a new deployment's canary section, written out.
func defaultCanary() Canary {
	c := Canary{ReduxLoggerEnabled: true, DefaultJudge: "NetflixACAJudge-v1.0", StagesEnabled: true, TemplatesEnabled: true, ShowAllConfigsEnabled: true}
	for _, n := range []string{"google", "prometheus", "datadog", "signalfx", "aws", "newrelic"} {
		c.ServiceIntegrations = append(c.ServiceIntegrations, &ServiceIntegration{Name: n})
	}
	return c
}

func TestParseGood(t *testing.T) {
	// localDefault is a config with one local deployment, default.
	localDefault := func(c Canary) *Halconfig {
		return &Halconfig{
			APIVersion: "ctl/v1", Kind: "Halconfig", CurrentDeployment: "default",
			DeploymentConfigurations: []*DeploymentConfiguration{{
				Name:                  "default",
				DeploymentEnvironment: DeploymentEnvironment{Type: "local"},
				Canary:                c,
			}},
		}
	}
	withInteg := func(c Canary, name string, f func(si *ServiceIntegration)) Canary {
		f(c.Integration(name))
		return c
	}
	tests := []struct {
		file    string
		version string
		want    *Halconfig // nil: only parse and round-trip
	}{
		{file: "minimal.yaml", version: "ctl/v1", want: localDefault(defaultCanary())},
		{file: "seed.yaml", version: "ctl/v1", want: localDefault(seedCanary("http://prometheus.example:9090"))},
		{file: "seed-v1alpha1.yaml", version: "ctl/v1alpha1", want: localDefault(seedCanary("http://prometheus.example:9090"))},
		{
			file: "two-deployments.yaml", version: "ctl/v1",
			want: func() *Halconfig {
				staging := defaultCanary()
				staging.Enabled = true
				staging.DefaultMetricsStore = "prometheus"
				staging.DefaultMetricsAccount = "prom"
				staging.DefaultStorageAccount = "minio"
				staging = withInteg(staging, "aws", func(si *ServiceIntegration) {
					si.Enabled, si.S3Enabled = true, true
					si.Accounts = []*Account{{Name: "minio", Values: map[string]string{
						"bucket": "kayenta", "endpoint": "http://minio.minio:9000", "accessKeyId": "minio", "secretAccessKey": "minio123",
					}, SupportedTypes: []SupportedType{ObjectStore, ConfigurationStore}}}
				})
				staging = withInteg(staging, "prometheus", func(si *ServiceIntegration) {
					si.Enabled = true
					si.MetadataCachingIntervalMS = i64(30000)
					si.Accounts = []*Account{{Name: "prom", Values: map[string]string{"endpoint.baseUrl": "http://prometheus:9090"},
						SupportedTypes: []SupportedType{MetricsStore}}}
				})
				return &Halconfig{
					APIVersion: "ctl/v1", Kind: "Halconfig", CurrentDeployment: "staging",
					DeploymentConfigurations: []*DeploymentConfiguration{
						{Name: "default", DeploymentEnvironment: DeploymentEnvironment{Type: "local"}, Canary: defaultCanary()},
						{Name: "staging", DeploymentEnvironment: DeploymentEnvironment{Type: "local"}, Canary: staging},
					},
				}
			}(),
		},
		{
			file: "distributed.yaml", version: "ctl/v1",
			want: func() *Halconfig {
				c := defaultCanary()
				c.Enabled = true
				c.DefaultMetricsStore = "stackdriver"
				c.DefaultMetricsAccount = "gcp"
				c.DefaultStorageAccount = "gcp"
				c = withInteg(c, "google", func(si *ServiceIntegration) {
					si.Enabled, si.GCSEnabled, si.StackdriverEnabled = true, true, true
					si.MetadataCachingIntervalMS = i64(120000)
					si.Accounts = []*Account{{Name: "gcp", Values: map[string]string{
						"project": "my-project", "jsonPath": "/home/ops/gcp.json", "bucket": "kayenta-prod",
						"bucketLocation": "us-central1", "rootFolder": "kayenta",
					}, SupportedTypes: []SupportedType{MetricsStore, ObjectStore, ConfigurationStore}}}
				})
				return &Halconfig{
					APIVersion: "ctl/v1", Kind: "Halconfig", CurrentDeployment: "prod",
					DeploymentConfigurations: []*DeploymentConfiguration{{
						Name: "prod",
						DeploymentEnvironment: DeploymentEnvironment{
							Type: "distributed", AccountName: "prod-context", Location: "kayenta", KubeconfigFile: "/home/ops/.kube/config",
						},
						Canary: c,
					}},
				}
			}(),
		},
		{file: "all-providers.yaml", version: "ctl/v1"},
	}
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("testdata/good has %d files, the table %d: add the new file to the table", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rel := "good/" + tt.file
			got, version, err := Parse(rel, readTestdata(t, rel))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if version != tt.version {
				t.Errorf("version = %q, want %q", version, tt.version)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				gotY, wantY := mustMarshal(t, got), mustMarshal(t, tt.want)
				t.Errorf("Parse(%s) differs from the literal\n--- got\n%s\n--- want\n%s", rel, gotY, wantY)
			}

			// Parse -> Marshal -> Parse gives the same config, and Marshal is stable.
			out := mustMarshal(t, got)
			again, version2, err := Parse("remarshaled", out)
			if err != nil {
				t.Fatalf("re-parsing Marshal output: %v\n%s", err, out)
			}
			if version2 != APIVersion {
				t.Errorf("Marshal wrote schema %q, want %q", version2, APIVersion)
			}
			if !reflect.DeepEqual(again, got) {
				t.Errorf("round trip changed the config\n--- first\n%s\n--- second\n%s", out, mustMarshal(t, again))
			}
			if out2 := mustMarshal(t, again); !bytes.Equal(out, out2) {
				t.Errorf("Marshal is not stable\n--- first\n%s\n--- second\n%s", out, out2)
			}
		})
	}
}

// TestMarshalSeedGolden: good/seed.yaml is exactly what ctl writes, so
// Marshal(Parse(seed.yaml)) must reproduce it byte for byte (Halyard's field
// order, defaults written, empty lists in flow style).
func TestMarshalSeedGolden(t *testing.T) {
	data := readTestdata(t, "good/seed.yaml")
	cfg := mustParse(t, "good/seed.yaml")
	if out := mustMarshal(t, cfg); !bytes.Equal(out, data) {
		t.Errorf("Marshal(seed.yaml) differs from the file\n--- got\n%s\n--- want\n%s", out, data)
	}
}

// TestMarshalQuotesNumericStrings: a numeric-looking string (New Relic's
// account id) must stay a string across a round trip.
func TestMarshalQuotesNumericStrings(t *testing.T) {
	cfg := NewConfig()
	si := cfg.Deployment("default").Canary.Integration("newrelic")
	si.Accounts = []*Account{{Name: "nr", Values: map[string]string{
		"endpoint.baseUrl": "https://insights-api.newrelic.com", "apiKey": "true", "applicationKey": "0123",
	}}}
	out := mustMarshal(t, cfg)
	for _, want := range []string{`applicationKey: "0123"`, `apiKey: "true"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Marshal output lacks %s:\n%s", want, out)
		}
	}
	again, _, err := Parse("x", out)
	if err != nil {
		t.Fatal(err)
	}
	a := again.Deployment("default").Canary.Integration("newrelic").Account("nr")
	if a.Get("applicationKey") != "0123" || a.Get("apiKey") != "true" {
		t.Errorf("values changed: %v", a.Values)
	}
}

func TestParseEmptyFileIsDefault(t *testing.T) {
	for _, data := range []string{"", "# nothing yet\n"} {
		cfg, version, err := Parse("empty", []byte(data))
		if err != nil {
			t.Fatalf("Parse(%q): %v", data, err)
		}
		if version != APIVersion || !reflect.DeepEqual(cfg, NewConfig()) {
			t.Errorf("Parse(%q) = %+v, %q; want NewConfig()", data, cfg, version)
		}
	}
}

// TestParseMigratedTwin: a ctl/v1alpha1 file reads as the same config as
// its ctl/v1 twin.
func TestParseMigratedTwin(t *testing.T) {
	old := mustParse(t, "good/seed-v1alpha1.yaml")
	cur := mustParse(t, "good/seed.yaml")
	if !reflect.DeepEqual(old, cur) {
		t.Errorf("v1alpha1 file differs from its v1 twin\n--- v1alpha1\n%s\n--- v1\n%s", mustMarshal(t, old), mustMarshal(t, cur))
	}
	if !bytes.Equal(mustMarshal(t, old), readTestdata(t, "good/seed.yaml")) {
		t.Error("Marshal of the migrated file is not the v1 twin's bytes")
	}
}

func TestKnownVersions(t *testing.T) {
	want := []string{"ctl/v1alpha1", "ctl/v1"}
	if got := KnownVersions(); !reflect.DeepEqual(got, want) {
		t.Errorf("KnownVersions() = %v, want %v", got, want)
	}
}

// errKind says which error type a bad file must produce.
type errKind int

const (
	parseErr   errKind = iota // *ParseError with positioned FieldErrors
	versionErr                // *VersionError
	halyardErr                // wraps ErrHalyardFile
	otherErr                  // any other error (migration failures)
)

// TestParseBad maps every file in testdata/bad to the error it must give,
// with the file:line:column the decoder reports (Prometheus config_test.go style).
func TestParseBad(t *testing.T) {
	const canaryPath = "deploymentConfigurations[0].canary"
	const integ0 = canaryPath + ".serviceIntegrations[0]"
	const acct0 = integ0 + ".accounts[0]"
	tests := []struct {
		file string
		kind errKind
		errs []string // substrings of the error; positions are written as file:line:col
	}{
		// Unknown keys at every level.
		{"unknown-top-field.yaml", parseErr, []string{`:4:1: unknown field "halyardVersion" (known fields: apiVersion, kind, currentDeployment, deploymentConfigurations)`}},
		{"unknown-deployment-field.yaml", parseErr, []string{`:6:3: deploymentConfigurations[0]: unknown field "version"`}},
		{"unknown-environment-field.yaml", parseErr, []string{`:8:5: deploymentConfigurations[0].deploymentEnvironment: unknown field "imageVariant" (known fields: type, accountName, location, kubeconfigFile)`}},
		{"unknown-canary-field.yaml", parseErr, []string{`:9:7: ` + canaryPath + `: unknown field "defaultJugde"`}},
		{"unknown-integration-field.yaml", parseErr, []string{`:10:7: ` + integ0 + `: unknown field "s3Enabled" (known fields: name, enabled, accounts, metadataCachingIntervalMS)`}},
		{"metadata-caching-on-aws.yaml", parseErr, []string{`:9:7: ` + integ0 + `: unknown field "metadataCachingIntervalMS" (known fields: name, enabled, accounts, s3Enabled)`}},
		{"unknown-account-field.yaml", parseErr, []string{`:12:9: ` + acct0 + `: unknown field "secretKey"`, "secretAccessKey"}},
		{"unknown-endpoint-field.yaml", parseErr, []string{`:13:11: ` + acct0 + `: unknown field "endpoint.baseURL"`, "endpoint.baseUrl"}},
		{"prometheus-endpoint-string.yaml", parseErr, []string{`:11:9: ` + acct0 + `: unknown field "endpoint"`}},
		{"v1alpha1-unknown-field.yaml", parseErr, []string{`:15:11: ` + acct0 + `: unknown field "passwd"`}},

		// Wrong types.
		{"string-for-bool.yaml", parseErr, []string{`:7:14: ` + canaryPath + `.enabled: want true or false, got "true"`}},
		{"yes-for-bool.yaml", parseErr, []string{`:9:18: ` + integ0 + `.s3Enabled: want true or false, got "yes"`}},
		{"null-for-bool.yaml", parseErr, []string{`:7:19: ` + canaryPath + `.stagesEnabled: want true or false, got null`}},
		{"list-for-mapping.yaml", parseErr, []string{`:7:3: ` + canaryPath + `: want a mapping, got a list`}},
		{"list-for-environment.yaml", parseErr, []string{`:6:26: deploymentConfigurations[0].deploymentEnvironment: want a mapping, got a list`}},
		{"list-for-string.yaml", parseErr, []string{`:11:17: ` + acct0 + `.bucket: want a string, got a list`}},
		{"aws-endpoint-mapping.yaml", parseErr, []string{`:12:11: ` + acct0 + `.endpoint: want a string, got a mapping`}},
		{"mapping-for-integrations-list.yaml", parseErr, []string{`:8:7: ` + canaryPath + `.serviceIntegrations: want a list, got a mapping`}},
		{"mapping-for-deployments-list.yaml", parseErr, []string{`:5:3: deploymentConfigurations: want a list, got a mapping`}},
		{"mapping-for-accounts-list.yaml", parseErr, []string{`:10:9: ` + integ0 + `.accounts: want a list of accounts, got a mapping`}},
		{"scalar-for-supported-types.yaml", parseErr, []string{`:13:25: ` + acct0 + `.supportedTypes: want a list of METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE, got "METRICS_STORE"`}},
		{"scalar-for-account.yaml", parseErr, []string{`:10:9: ` + acct0 + `: want an account mapping, got "my-prometheus"`}},
		{"scalar-for-integration.yaml", parseErr, []string{`:8:7: ` + integ0 + `: want a mapping with name, enabled and accounts, got "prometheus"`}},
		{"metadata-caching-string.yaml", parseErr, []string{`:9:34: ` + integ0 + `.metadataCachingIntervalMS: want a whole number, got "1m"`}},
		{"metadata-caching-float.yaml", parseErr, []string{`:9:34: ` + integ0 + `.metadataCachingIntervalMS: want a whole number, got "1.5e4"`}},

		// Integrations, accounts and supported types.
		{"unknown-provider.yaml", parseErr, []string{`:8:13: ` + integ0 + `.name: unknown canary service integration "atlas" (want one of google, prometheus, datadog, signalfx, aws, newrelic)`}},
		{"integration-without-name.yaml", parseErr, []string{`:8:7: ` + integ0 + `: missing name`}},
		{"duplicate-integration.yaml", parseErr, []string{`:12:13: ` + canaryPath + `.serviceIntegrations: integration "aws" appears more than once (first at line 8)`}},
		{"unknown-supported-type.yaml", parseErr, []string{`:14:11: ` + acct0 + `.supportedTypes[1]: unknown supported type "BLOB_STORE"`}},
		{"account-without-name.yaml", parseErr, []string{`:10:9: ` + acct0 + `.name: account name must be specified`}},

		// Duplicate YAML keys.
		{"duplicate-key.yaml", parseErr, []string{`:9:5: ` + canaryPath + `: field "enabled" appears twice (first at line 7)`}},
		{"duplicate-account-key.yaml", parseErr, []string{`:12:9: ` + acct0 + `: field "bucket" appears twice (first at line 11)`}},

		// Deployments.
		{"deployment-without-name.yaml", parseErr, []string{`:6:3: deploymentConfigurations[1].name: deployment name must be specified`}},
		{"invalid-deployment-name.yaml", parseErr, []string{`:5:9: deploymentConfigurations[0].name: deployment name "Prod" must match`}},
		{"deployment-name-path.yaml", parseErr, []string{`:6:9: deploymentConfigurations[1].name: deployment name "../etc" must match`}},
		{"duplicate-deployment.yaml", parseErr, []string{`:7:9: deploymentConfigurations[2].name: deployment "default" appears more than once`}},
		{"current-deployment-missing.yaml", parseErr, []string{`:3:20: currentDeployment: deployment "prod" does not exist (have default, staging)`}},
		{"no-current-deployment.yaml", parseErr, []string{`:1:1: currentDeployment: missing (have default)`}},
		{"no-deployments.yaml", parseErr, []string{`:4:27: deploymentConfigurations: no deployments`}},

		// Header: kind and apiVersion.
		{"wrong-kind.yaml", parseErr, []string{`:2:7: kind: want "Halconfig", got "Config"`}},
		{"missing-apiversion.yaml", parseErr, []string{`:1:1: missing apiVersion (this ctl writes apiVersion: ctl/v1)`}},
		{"halyard-file.yaml", halyardErr, []string{"this is a Halyard config", "ctl config import"}},
		{"newer-apiversion.yaml", versionErr, []string{`apiVersion "ctl/v2"`, "ctl/v1alpha1, ctl/v1", "written by a newer ctl"}},
		{"unknown-apiversion.yaml", versionErr, []string{`apiVersion "v1" is not a ctl schema version`, "ctl/v1alpha1, ctl/v1", "fix the apiVersion line"}},
		{"two-documents.yaml", parseErr, []string{`:5:1: a second YAML document`}},
		{"v1alpha1-integrations-list.yaml", otherErr, []string{"migrating from ctl/v1alpha1", "serviceIntegrations (line 8): want a mapping keyed by provider"}},
		{"v1alpha1-integration-scalar.yaml", otherErr, []string{"migrating from ctl/v1alpha1", `serviceIntegrations.aws (line 9): want a mapping, got "enabled"`}},

		// Not YAML, or not a mapping.
		{"syntax-error.yaml", parseErr, []string{`:8:1: did not find expected key`}},
		{"unclosed-quote.yaml", parseErr, []string{`:3:1: found unexpected end of stream`}},
		{"tabs.yaml", parseErr, []string{`:7:1: found character that cannot start any token`}},
		{"top-level-list.yaml", parseErr, []string{`:1:1: want a mapping with apiVersion, kind, currentDeployment and deploymentConfigurations, got a list`}},
		{"top-level-scalar.yaml", parseErr, []string{`:1:1: want a mapping`, `got "ctl/v1"`}},

		// Every problem of a file is reported, not just the first.
		{"multiple-errors.yaml", parseErr, []string{
			`:2:7: kind: want "Halconfig"`,
			`:7:14: ` + canaryPath + `.enabled: want true or false`,
			`:12:9: ` + acct0 + `: unknown field "bukket"`,
			`:13:26: ` + acct0 + `.supportedTypes[0]: unknown supported type "S3"`,
		}},
	}
	if len(tests) < 35 {
		t.Fatalf("only %d bad cases", len(tests))
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, tt := range tests {
		if inTable[tt.file] {
			t.Errorf("%s is in the table twice", tt.file)
		}
		inTable[tt.file] = true
	}
	for _, f := range files {
		if !inTable[filepath.Base(f)] {
			t.Errorf("%s has no entry in the table", f)
		}
	}

	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := Parse(path, data)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; got\n%s", mustMarshal(t, cfg))
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error does not name the file %s: %s", path, msg)
			}
			for _, want := range tt.errs {
				if strings.HasPrefix(want, ":") {
					want = "bad/" + tt.file + want
				}
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			var pe *ParseError
			var ve *VersionError
			switch tt.kind {
			case parseErr:
				if !errors.As(err, &pe) {
					t.Fatalf("got %T, want *ParseError: %v", err, err)
				}
				if pe.File != path {
					t.Errorf("ParseError.File = %q, want %q", pe.File, path)
				}
				positioned := 0
				for _, want := range tt.errs {
					if strings.HasPrefix(want, ":") {
						positioned++
					}
				}
				if len(pe.Errs) != positioned {
					t.Errorf("got %d problems, want %d:\n%s", len(pe.Errs), positioned, msg)
				}
				for _, fe := range pe.Errs {
					if fe.File != path || fe.Line <= 0 || fe.Column <= 0 {
						t.Errorf("problem without a position in %s: %+v", path, fe)
					}
				}
			case versionErr:
				if !errors.As(err, &ve) {
					t.Fatalf("got %T, want *VersionError: %v", err, err)
				}
				if ve.File != path {
					t.Errorf("VersionError.File = %q", ve.File)
				}
			case halyardErr:
				if !errors.Is(err, ErrHalyardFile) {
					t.Fatalf("got %v, want ErrHalyardFile", err)
				}
			case otherErr:
				if errors.As(err, &pe) || errors.As(err, &ve) || errors.Is(err, ErrHalyardFile) {
					t.Errorf("got %T, want a plain error", err)
				}
			}
		})
	}
}

func TestFieldErrorFormat(t *testing.T) {
	tests := []struct {
		fe   FieldError
		want string
	}{
		{FieldError{File: "cfg", Line: 3, Column: 5, Path: "a.b", Msg: "bad"}, "cfg:3:5: a.b: bad"},
		{FieldError{File: "cfg", Path: "a.b", Msg: "bad"}, "cfg: a.b: bad"},
		{FieldError{File: "cfg", Line: 1, Column: 1, Msg: "bad"}, "cfg:1:1: bad"},
	}
	for _, tt := range tests {
		if got := tt.fe.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.fe, got, tt.want)
		}
	}
}

func TestValidDeploymentName(t *testing.T) {
	for name, want := range map[string]bool{
		"default": true, "prod-1": true, "a_b": true, "x": true, "0": true,
		"": false, "Prod": false, "-a": false, "a-": false, "a/b": false, "..": false, "a b": false,
	} {
		if got := ValidDeploymentName(name); got != want {
			t.Errorf("ValidDeploymentName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestParseSyntaxErrorLine: a YAML syntax error is reported on the line of
// the mistake, not where yaml.v3 says (the enclosing block's start).
func TestParseSyntaxErrorLine(t *testing.T) {
	tests := []struct {
		data string
		line int
	}{
		{"a: 1\nb:\n  c: 1\n d: 2\n", 4},
		{"a: 1\nb: 2\nc: 3\n  d: 4\n", 4},
		{"a: 1\nb: 2\nc: [1, 2\n", 3},
		{"a: 1\nb: 2\n- c\n", 3},
		{"a: 1\n\nb: 2\nc:\n  x: 1\n  - y\n", 6},
		{"x:\n  y:\n    z: 1\n   w: 2\n", 4},
		// A flow mapping over two lines is fine; the mistake is later.
		{"a: {x: 1,\n  y: 2}\nb:\n  c: 1\n d: 2\n", 5},
		{"a: 1\nb: \"abc\nc: 1\n", 2},
		{"a: 1\nb: 2\nc: @x\n", 3},
	}
	for _, tt := range tests {
		_, _, err := Parse("f.yaml", []byte(tt.data))
		var pe *ParseError
		if !errors.As(err, &pe) || len(pe.Errs) != 1 {
			t.Errorf("Parse(%q) = %v, want one syntax error", tt.data, err)
			continue
		}
		if got := pe.Errs[0].Line; got != tt.line {
			t.Errorf("Parse(%q): error on line %d, want %d (%v)", tt.data, got, tt.line, err)
		}
	}
}
