package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// secretMarker is in every secret value in testdata (and in the
// environment the tests set); it must never show in any output.
const secretMarker = "sekrit"

// testEnv sets what the testdata placeholders need and returns the API
// token file it made.
func testEnv(t *testing.T) string {
	t.Helper()
	token := filepath.Join(t.TempDir(), "api-token")
	if err := os.WriteFile(token, []byte("sekrit-api-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CTL_TEST_TOKEN_FILE", token)
	t.Setenv("PROM_USER", "prom-reader")
	t.Setenv("PROM_PASSWORD", "sekrit-from-env")
	return token
}

func abs(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func types(ts ...SupportedType) []SupportedType { return ts }

// warningsAt renders warnings as "line:col: path: msg" for comparison.
func warningsAt(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprintf("%d:%d: %s: %s", w.Line, w.Column, w.Path, w.Msg)
	}
	return out
}

// wantWarnings checks that ws, rendered by warningsAt, start with want's
// prefixes, one for one.
func wantWarnings(t *testing.T, ws []Warning, want []string) {
	t.Helper()
	got := warningsAt(ws)
	if len(got) != len(want) {
		t.Fatalf("warnings:\n got %q\nwant %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d: got %q, want prefix %q", i, got[i], want[i])
		}
	}
}

func TestLoadGood(t *testing.T) {
	token := testEnv(t)
	s3Example := S3Account{
		Name: "my-s3", Bucket: "kayenta-bucket", Region: "us-west-2", RootFolder: "kayenta", Endpoint: "http://minio:9000",
		Credentials:    &AWSCredentials{AccessKey: "..", SecretKey: "..", SessionToken: ".."},
		SupportedTypes: types(ObjectStore, ConfigurationStore),
	}
	halyardS3 := S3Account{
		Name: "my-s3", Bucket: "spin-bucket", Region: "us-west-2", RootFolder: "kayenta",
		Endpoint:       "https://s3.seo-ap-geo.objectstorage.service.networklayer.com",
		Credentials:    &AWSCredentials{AccessKey: "ACCESS_ID", SecretKey: "sekrit-halyard-secret-access-key"},
		SupportedTypes: types(ConfigurationStore, ObjectStore),
	}
	tests := []struct {
		file  string
		want  func(c *Config) // edits Default() into the expected config
		warns []string        // every warning, as line:col: path: message prefix
		store bool            // HasObjectStore
	}{
		{
			file: "kayenta-example.good.yml",
			want: func(c *Config) {
				c.Prometheus.Enabled = true
				c.AWSEnabled, c.S3Enabled, c.MemoryEnabled = true, true, true
				c.PrometheusAccounts = []PrometheusAccount{{Name: "my-prometheus-account", BaseURL: "http://localhost:9090", SupportedTypes: types(MetricsStore)}}
				c.S3Accounts = []S3Account{s3Example}
				c.awsAccounts = []S3Account{s3Example}
				c.MemoryAccounts = []MemoryAccount{{Name: "mem", SupportedTypes: types(ObjectStore, ConfigurationStore)}}
				c.StandaloneCanaryAnalysisEnabled = true
			},
			warns: []string{"4:1: redis.connection: not used"},
			store: true,
		},
		{
			file: "kayenta-defaults.good.yml",
			want: func(c *Config) {},
			warns: []string{
				"7:3: redis.connection: not used",
				"45:1: management.endpoints.web.exposure.include: not used",
				"46:1: management.endpoint.health.show-details: not used",
				"51:7: keiko.queue.redis.queueName: not used",
				"52:7: keiko.queue.redis.deadLetterQueueName: not used",
				"55:3: spectator.applicationName: not used",
				"57:5: spectator.webEndpoint.enabled: not used",
				"60:3: swagger.enabled: not used",
				"61:3: swagger.title: not used",
				"62:3: swagger.patterns: not used",
			},
		},
		{
			file: "halyard.good.yml",
			want: func(c *Config) {
				c.Prometheus.Enabled = true
				c.Prometheus.MetadataCachingInterval = 30 * time.Second
				c.AWSEnabled, c.S3Enabled = true, true
				c.PrometheusAccounts = []PrometheusAccount{{Name: "my-prometheus", BaseURL: "http://prometheus.monitoring:9090", SupportedTypes: types(MetricsStore)}}
				c.S3Accounts = []S3Account{halyardS3}
				c.awsAccounts = []S3Account{halyardS3}
			},
			warns: []string{
				"7:5: spectator.webEndpoint.enabled: not used",
				"12:5: spinnaker.extensibility.plugins-root-path: not used",
				"13:5: spinnaker.extensibility.strict-plugin-loading: not used",
				"21:5: security.basic.enabled: not used: this service does no Spring security",
			},
			store: true,
		},
		{
			file: "ctl.good.yml",
			want: func(c *Config) {
				c.Server.Port = 8100
				c.Executions = Executions{MaxConcurrent: 16, FetchConcurrency: 4, FetchTimeout: 10 * time.Second, LeaseTTL: 2 * time.Minute}
				c.Auth.TokenFile = token
				c.Limits.MaxRequestBytes = 5 << 20
				c.LocalEnabled = true
				c.LocalAccounts = []LocalAccount{
					{Name: "disk", RootDirectory: abs(t, "testdata/store"), SupportedTypes: types(ObjectStore, ConfigurationStore)},
					{Name: "configs-only", RootDirectory: "/var/lib/ctl/configs", SupportedTypes: types(ObjectStore, ConfigurationStore)},
				}
				c.Prometheus.Enabled = true
				c.PrometheusAccounts = []PrometheusAccount{{Name: "prom", BaseURL: "http://prometheus:9090", Username: "prom-reader", Password: "sekrit-from-env", SupportedTypes: types(MetricsStore)}}
			},
			store: true,
		},
		{
			file: "anchors.good.yml",
			want: func(c *Config) {
				c.Prometheus.Enabled = true
				c.PrometheusAccounts = []PrometheusAccount{
					{Name: "prom-a", BaseURL: "http://prometheus:9090", SupportedTypes: types(MetricsStore)},
					{Name: "prom-b", BaseURL: "http://other-prometheus:9090", SupportedTypes: types(MetricsStore)},
				}
			},
			warns: []string{
				"4:5: x-prometheus.endpoint.baseUrl: not used",
				"5:3: x-prometheus.supportedTypes: not used",
			},
		},
		{file: "empty.good.yml", want: func(c *Config) {}},
	}
	files, _ := filepath.Glob("testdata/*.good.yml")
	covered := map[string]bool{"nested.good.yml": true, "dotted.good.yml": true, "relaxed-kebab.good.yml": true, "relaxed-camel.good.yml": true}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			cfg, ws, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			want.File = path
			tt.want(want)
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("config:\n got %+v\nwant %+v", cfg, want)
			}
			wantWarnings(t, ws, tt.warns)
			for i := range ws {
				if !strings.HasPrefix(ws[i].String(), path+":") {
					t.Errorf("warning %q does not start with the file name", ws[i])
				}
			}
			if cfg.HasObjectStore() != tt.store {
				t.Errorf("HasObjectStore() = %v, want %v", cfg.HasObjectStore(), tt.store)
			}
		})
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no test case", f)
		}
	}
}

// loadSame loads two files that must give the same configuration.
func loadSame(t *testing.T, a, b string) *Config {
	t.Helper()
	ca, wa, err := Load(filepath.Join("testdata", a))
	if err != nil {
		t.Fatal(err)
	}
	cb, wb, err := Load(filepath.Join("testdata", b))
	if err != nil {
		t.Fatal(err)
	}
	if len(wa)+len(wb) > 0 {
		t.Errorf("warnings: %v %v", wa, wb)
	}
	ca.File, cb.File = "", ""
	if !reflect.DeepEqual(ca, cb) {
		t.Errorf("%s and %s differ:\n%+v\n%+v", a, b, ca, cb)
	}
	return ca
}

func TestDottedAndNestedKeysAreTheSame(t *testing.T) {
	cfg := loadSame(t, "nested.good.yml", "dotted.good.yml")
	minio := S3Account{Name: "minio", Bucket: "kayenta", RootFolder: "kayenta", Endpoint: "http://minio.minio:9000",
		Credentials: &AWSCredentials{AccessKey: "minio", SecretKey: "sekrit-minio"}, SupportedTypes: types(ObjectStore, ConfigurationStore)}
	want := Default()
	want.Server = Server{Port: 9000, Address: "127.0.0.1"}
	want.Prometheus = Prometheus{Enabled: true, ScopeLabel: "pod", MetadataCachingInterval: 2 * time.Minute,
		Health: PrometheusHealth{Enabled: true, InitialDelay: 2 * time.Second, FixedDelay: 5 * time.Minute}}
	want.PrometheusAccounts = []PrometheusAccount{{Name: "prom", BaseURL: "https://prometheus.example:9090", BearerToken: "sekrit-nested-token", SupportedTypes: types(MetricsStore)}}
	want.AWSEnabled, want.S3Enabled = true, true
	want.S3Accounts, want.awsAccounts = []S3Account{minio}, []S3Account{minio}
	want.StandaloneCanaryAnalysisEnabled = true
	want.DefaultArchiversEnabled = false
	want.DisableMetricNameValidation = true
	want.MetricsRetry = MetricsRetry{Attempts: 3, BackoffPeriodMultiplierMs: 500, Series: []string{"CLIENT_ERROR", "SERVER_ERROR"}, Statuses: []int{429}}
	want.Executions = Executions{MaxConcurrent: 4, FetchConcurrency: 2, FetchTimeout: 45 * time.Second, LeaseTTL: time.Minute}
	want.Limits.MaxRequestBytes = 1 << 20
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestRelaxedBinding(t *testing.T) {
	cfg := loadSame(t, "relaxed-camel.good.yml", "relaxed-kebab.good.yml")
	want := Default()
	want.Prometheus.Enabled = true
	want.Prometheus.ScopeLabel = "pod"
	want.Prometheus.MetadataCachingInterval = 30 * time.Second
	want.PrometheusAccounts = []PrometheusAccount{{Name: "prom", BaseURL: "http://prometheus:9090", Username: "prom-user",
		Password: "sekrit-file-password", UsernamePasswordFile: abs(t, "testdata/prom-credentials"), SupportedTypes: types(MetricsStore)}}
	want.MemoryEnabled = true
	want.MemoryAccounts = []MemoryAccount{{Name: "mem", SupportedTypes: types(ObjectStore, ConfigurationStore)}}
	want.StandaloneCanaryAnalysisEnabled = true
	want.DefaultArchiversEnabled = false
	want.MetricsRetry.BackoffPeriodMultiplierMs = 250
	want.MetricsRetry.Statuses = []int{429, 503}
	want.Executions = Executions{MaxConcurrent: 2, FetchConcurrency: 3, FetchTimeout: 90 * time.Second, LeaseTTL: 45 * time.Second}
	want.Limits.MaxRequestBytes = 2 << 20
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config:\n got %+v\nwant %+v", cfg, want)
	}
}

// TestLoadBad maps every testdata/*.bad.yml to the errors it must give,
// with their positions (file:line:col: key: message).
func TestLoadBad(t *testing.T) {
	const prom0 = "kayenta.prometheus.accounts[0]"
	const aws0 = "kayenta.aws.accounts[0]"
	tests := []struct {
		file string
		// errs are substrings of the error. One starting ":L:C: " is one
		// problem, and the file's path is put before it; others are more
		// text of the problem before them.
		errs []string
	}{
		// server.*
		{"port-not-number", []string{`:1:14: server.port: want a port number from 0 to 65535, got "http"`}},
		{"port-out-of-range", []string{`:2:9: server.port: want a port number from 0 to 65535, got "70000"`}},
		{"port-float", []string{`:1:14: server.port: want a port number from 0 to 65535, got "8090.5"`}},
		{"address-invalid", []string{`:1:17: server.address: want an IP address or a host name to listen on, got "not a host!"`}},
		{"ssl-enabled", []string{`:4:14: server.ssl.enabled: TLS is not supported by this service`}},

		// Account names.
		{"prometheus-account-without-name", []string{`:5:9: ` + prom0 + `.name: missing account name`}},
		{"datadog-account-without-name", []string{`:5:9: kayenta.datadog.accounts[0].name: missing account name`}},
		{"duplicate-account-name", []string{`:10:15: kayenta.memory.accounts[0].name: duplicate account name "metrics": already used by the prometheus account at line 5`}},
		{"duplicate-account-name-unsupported", []string{`:12:15: kayenta.google.accounts[0].name: duplicate account name "shared": already used by the aws account at line 5`}},

		// Prometheus accounts.
		{"prometheus-without-baseurl", []string{`:4:7: ` + prom0 + `.endpoint.baseUrl: missing: a prometheus account needs the URL of its Prometheus server`}},
		{"prometheus-empty-baseurl", []string{`:6:18: ` + prom0 + `.endpoint.baseUrl: missing`}},
		{"prometheus-ftp-url", []string{`:5:27: ` + prom0 + `.endpoint.baseUrl: want an http:// or https:// URL, got "ftp://prometheus:9090"`}},
		{"prometheus-url-credentials", []string{`:6:18: ` + prom0 + `.endpoint.baseUrl: want an http:// or https:// URL, got "ftp://admin:xxxxx@prometheus:9090"`}},
		{"prometheus-endpoint-string", []string{`:5:17: ` + prom0 + `.endpoint: want a mapping with baseUrl (write endpoint.baseUrl: URL), got a string`}},
		{"upf-unreadable", []string{`:6:29: ` + prom0 + `.usernamePasswordFile: cannot read usernamePasswordFile: open /`, `/testdata/does-not-exist: no such file or directory`}},
		{"upf-no-colon", []string{`:6:29: ` + prom0 + `.usernamePasswordFile: usernamePasswordFile /`, `/testdata/prom-credentials-nocolon holds no ':': want username:password`}},
		{"upf-empty", []string{`:6:29: ` + prom0 + `.usernamePasswordFile: usernamePasswordFile /`, `/testdata/prom-credentials-empty is empty`}},
		{"username-without-password", []string{`:6:17: ` + prom0 + `.password: a username needs a password`}},
		{"password-without-username", []string{`:6:17: ` + prom0 + `.username: a password needs a username`}},
		{"encrypted-secret", []string{`:7:17: ` + prom0 + `.password: Halyard secret references (encrypted:...) are not decrypted by this service`}},
		{"scope-label-invalid", []string{`:1:32: kayenta.prometheus.scopeLabel: want a Prometheus label name such as instance, got "pod name"`}},
		{"metadata-caching-negative", []string{`:1:47: kayenta.prometheus.metadataCachingIntervalMS: want a positive number of milliseconds, got "-5"`}},

		// AWS accounts.
		{"aws-without-bucket", []string{`:5:7: ` + aws0 + `.bucket: missing: an aws account with OBJECT_STORE needs a bucket when kayenta.s3.enabled is true`}},
		{"aws-endpoint-ftp", []string{`:7:19: ` + aws0 + `.endpoint: want an http:// or https:// URL, got "ftp://minio:9000"`}},
		{"aws-half-credentials", []string{
			`:7:9: ` + aws0 + `.secretAccessKey: missing: accessKeyId needs a secretAccessKey`,
			`:11:9: kayenta.aws.accounts[1].explicitCredentials.accessKey: missing: explicitCredentials need an accessKey`,
		}},
		{"aws-both-credentials", []string{`:7:9: ` + aws0 + `.accessKeyId: set either explicitCredentials or Halyard's accessKeyId and secretAccessKey, not both`}},
		{"secret-in-wrong-place", []string{`:7:30: ` + aws0 + `.explicitCredentials: want a mapping, got a string`}},

		// Memory and local accounts, supported types, lists.
		{"unknown-supported-type", []string{`:6:40: kayenta.memory.accounts[0].supportedTypes[1]: unknown supported type "BLOB_STORE" (want METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE)`}},
		{"local-without-root-directory", []string{`:5:9: kayenta.local.accounts[0].rootDirectory: missing`}},
		{"local-root-is-file", []string{`:6:24: kayenta.local.accounts[0].rootDirectory: /`, `/testdata/prom-credentials is not a directory`}},
		{"accounts-scalar", []string{`:3:13: kayenta.prometheus.accounts: want a list of accounts, got a string`}},
		{"account-scalar", []string{`:4:7: kayenta.memory.accounts[0]: want an account (a mapping with a name), got a string`}},
		{"list-index-gap", []string{`:4:1: kayenta.memory.accounts[2]: list index 2 follows index 0`}},

		// kayenta.metrics.retry.
		{"negative-retry-attempts", []string{`:1:33: kayenta.metrics.retry.attempts: want a whole number of attempts, 0 or more, got "-1"`}},
		{"unknown-retry-values", []string{
			`:4:16: kayenta.metrics.retry.series[0]: unknown status series "SERVER_ERRORS"`,
			`:5:37: kayenta.metrics.retry.statuses[1]: unknown HTTP status "600"`,
			`:5:42: kayenta.metrics.retry.statuses[2]: unknown HTTP status "TEAPOT_ERROR"`,
		}},

		// ctl.*
		{"fetch-timeout-no-unit", []string{`:1:30: ctl.executions.fetchTimeout: want a positive duration such as 30s, 1m30s or PT30S, got "30"`}},
		{"lease-ttl-negative", []string{`:3:15: ctl.executions.leaseTTL: want a positive duration such as 30s, 1m30s or PT30S, got "-PT5S"`}},
		{"max-concurrent-zero", []string{`:3:20: ctl.executions.maxConcurrent: want a whole number, 1 or more, got "0"`}},
		{"max-request-bytes", []string{`:1:29: ctl.limits.maxRequestBytes: want a positive size in bytes, such as 10485760 or 10MiB, got "10 megabytes"`}},
		{"token-file-missing", []string{`:1:21: ctl.auth.tokenFile: cannot read tokenFile: open /`, `/testdata/no-such-token: no such file or directory`}},

		// Values and keys.
		{"bool-value", []string{`:1:29: kayenta.prometheus.enabled: want true or false, got "maybe"`}},
		{"unresolved-placeholder", []string{
			`:1:14: server.port: cannot resolve placeholder ${CTL_TEST_UNSET_PORT}: no environment variable CTL_TEST_UNSET_PORT`,
			`:7:20: ` + prom0 + `.bearerToken: a ${...} placeholder in this secret could not be resolved`,
		}},
		{"duplicate-key", []string{`:3:3: server: key "port" appears twice in this mapping (first at line 2)`}},
		{"dotted-nested-conflict", []string{`:3:3: server.port: set more than once (first at line 1)`}},
		{"value-and-mapping", []string{`:2:1: kayenta.prometheus: set more than once (first at line 1)`}},
		{"empty-key-segment", []string{`:1:1: key "kayenta..prometheus.enabled" has an empty part`}},

		// Not one YAML mapping.
		{"two-documents", []string{`:3:1: a second YAML document`}},
		{"syntax-error", []string{`:4:1: did not find expected key`}},
		{"top-level-list", []string{`:1:1: want a mapping of keys such as server and kayenta, got a list`}},

		// Every problem is reported, in file order.
		{"multiple-errors", []string{
			`:2:9: server.port: want a port number`,
			`:8:27: ` + prom0 + `.endpoint.baseUrl: want an http:// or https:// URL, got "prometheus:9090"`,
			`:9:19: ` + prom0 + `.username: a password needs a username`,
			`:10:9: kayenta.prometheus.accounts[1].name: missing account name`,
			`:14:15: kayenta.memory.accounts[0].name: duplicate account name "prom"`,
			`:15:26: kayenta.memory.accounts[0].supportedTypes[0]: unknown supported type "OBJECT_STORAGE"`,
			`:16:34: ctl.executions.fetchConcurrency: want a whole number, 1 or more, got "lots"`,
		}},
	}
	if len(tests) < 20 {
		t.Fatalf("only %d bad cases", len(tests))
	}
	files, err := filepath.Glob("testdata/*.bad.yml")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file+".bad.yml"] = true
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file+".bad.yml")
			cfg, _, err := Load(path)
			if err == nil {
				t.Fatalf("loaded: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with an error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T, want *ParseError: %v", err, err)
			}
			problems := 0
			for _, want := range tt.errs {
				if strings.HasPrefix(want, ":") {
					problems++
				}
			}
			if len(pe.Errs) != problems {
				t.Errorf("%d errors, want %d:\n%v", len(pe.Errs), problems, err)
			}
			msg := err.Error()
			last := -1
			for _, want := range tt.errs {
				if strings.HasPrefix(want, ":") {
					want = path + want
				}
				i := strings.Index(msg, want)
				if i < 0 {
					t.Errorf("error lacks %q:\n%v", want, err)
					continue
				}
				if i < last {
					t.Errorf("errors are not in file order: %q", want)
				}
				last = i
			}
		})
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no test case", f)
		}
	}
}

// TestSecretsNeverShown loads every test file and checks that no secret
// appears in any error, warning, or rendering of the configuration.
func TestSecretsNeverShown(t *testing.T) {
	testEnv(t)
	files, _ := filepath.Glob("testdata/*.yml")
	if len(files) < 30 {
		t.Fatalf("only %d files", len(files))
	}
	withSecrets := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secretMarker)) || bytes.Contains(data, []byte("PROM_PASSWORD")) || bytes.Contains(data, []byte("prom-credentials")) {
			withSecrets++
		}
		cfg, ws, err := Load(f)
		var out []string
		if err != nil {
			out = append(out, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err))
		}
		for _, w := range ws {
			out = append(out, w.String(), w.Msg, w.Path, fmt.Sprintf("%+v", w))
		}
		if cfg != nil {
			j, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			y, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, err := json.Marshal(cfg.Accounts())
			if err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", cfg, "accounts", cfg.Accounts())
			out = append(out, string(j), string(y), string(a), logged.String(),
				fmt.Sprintf("%v", *cfg), fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%#v", *cfg), fmt.Sprintf("%s", cfg.PrometheusAccounts))
			for _, s := range cfg.S3Accounts {
				if s.Credentials != nil {
					out = append(out, fmt.Sprintf("%+v %#v %v %s %q %x", *s.Credentials, *s.Credentials, s.Credentials.SecretKey,
						s.Credentials.SecretKey, s.Credentials.SessionToken, s.Credentials.SecretKey))
				}
			}
		}
		for _, s := range out {
			for _, secret := range []string{secretMarker, "filepass", "file-password"} {
				if strings.Contains(s, secret) {
					t.Errorf("%s: output shows a secret (%q):\n%s", f, secret, s)
				}
			}
		}
	}
	if withSecrets < 15 {
		t.Errorf("only %d test files hold secrets", withSecrets)
	}
}

func TestSecret(t *testing.T) {
	s := Secret("hunter2")
	for _, got := range []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%s|%v|%q|%x|%X|%d|%10s|%#v|%+v", s, s, s, s, s, s, s, s, s),
		string(must(json.Marshal(s))), string(must(yaml.Marshal(s))), string(must(s.MarshalText())),
		fmt.Sprintf("%v", struct{ P Secret }{s}), fmt.Sprintf("%+v", &struct{ P Secret }{s}),
		s.LogValue().String(),
	} {
		// encoding/json writes < and > as \u003c and \u003e.
		got = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(got)
		if strings.Contains(got, "hunter2") || !strings.Contains(got, Redacted) {
			t.Errorf("Secret shows as %q", got)
		}
	}
	if s.Value() != "hunter2" || !s.IsSet() {
		t.Errorf("Value() = %q", s.Value())
	}
	if Secret("").String() != "" || Secret("").IsSet() {
		t.Error("an empty secret should show as empty")
	}
	if got := string(must(json.Marshal(struct{ P Secret }{s}))); got != `{"P":"\u003credacted\u003e"}` {
		t.Errorf("json = %s", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func parse(t *testing.T, yml string) (*Config, []Warning) {
	t.Helper()
	cfg, ws, err := Parse("kayenta.yml", []byte(yml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg, ws
}

func parseErr(t *testing.T, yml string) string {
	t.Helper()
	cfg, _, err := Parse("kayenta.yml", []byte(yml))
	if err == nil {
		t.Fatalf("parsed: %+v", cfg)
	}
	return err.Error()
}

func TestPlaceholders(t *testing.T) {
	t.Setenv("KAYENTA_PORT", "9100")
	t.Setenv("SERVICES_KAYENTA_HOST", "127.0.0.2")
	t.Setenv("EMPTY_VAR", "")
	cfg, ws := parse(t, `
services:
  redis.baseUrl: redis://redis:6379
  retry: 4
  prom: http://prom:9090
server:
  port: ${KAYENTA_PORT:8090}
  address: ${services.kayenta.host:localhost}
kayenta:
  metrics.retry.attempts: ${services.retry}
  prometheus:
    enabled: ${CTL_TEST_UNSET_ENABLED:${CTL_TEST_ALSO_UNSET:true}}
    scopeLabel: ${EMPTY_VAR}pod
    accounts:
      - name: p-${services.retry}
        endpoint.baseUrl: ${services.prom}
spectator.applicationName: ${spring.application.name}
`)
	if cfg.Server.Port != 9100 || cfg.Server.Address != "127.0.0.2" {
		t.Errorf("server = %+v", cfg.Server)
	}
	if cfg.MetricsRetry.Attempts != 4 || !cfg.Prometheus.Enabled || cfg.Prometheus.ScopeLabel != "pod" {
		t.Errorf("config = %+v", cfg)
	}
	if a := cfg.PrometheusAccounts; len(a) != 1 || a[0].Name != "p-4" || a[0].BaseURL != "http://prom:9090" {
		t.Errorf("accounts = %+v", a)
	}
	// services.retry and services.prom were used by placeholders; the
	// rest is not read. Placeholders in keys not read are not resolved.
	if got := warningsAt(ws); len(got) != 2 || !strings.HasPrefix(got[0], "3:3: services.redis.baseUrl") || !strings.HasPrefix(got[1], "17:1: spectator.applicationName") {
		t.Errorf("warnings = %q", got)
	}

	msg := parseErr(t, "server.port: ${a}\na: ${b}\nb: ${a}\n")
	if !strings.Contains(msg, "kayenta.yml:1:14: server.port: placeholders nest too deeply") {
		t.Errorf("cycle: %s", msg)
	}
}

func TestUnterminatedPlaceholderIsText(t *testing.T) {
	msg := parseErr(t, "kayenta.prometheus.scopeLabel: a${b\n")
	if !strings.Contains(msg, `want a Prometheus label name such as instance, got "a${b"`) {
		t.Error(msg)
	}
}

func TestProviders(t *testing.T) {
	t.Run("s3 needs aws", func(t *testing.T) {
		cfg, ws := parse(t, `
kayenta:
  aws:
    enabled: true
    accounts:
      - {name: a, bucket: b, supportedTypes: [OBJECT_STORE, CONFIGURATION_STORE]}
`)
		if len(cfg.S3Accounts) != 0 || cfg.HasObjectStore() {
			t.Errorf("S3Accounts = %+v without kayenta.s3.enabled", cfg.S3Accounts)
		}
		if got := cfg.Accounts(); len(got) != 1 || got[0].Type != TypeAWS {
			t.Errorf("Accounts() = %+v: Kayenta lists every aws account", got)
		}
		if len(ws) != 1 || !strings.Contains(ws[0].Msg, "OBJECT_STORE is not served: kayenta.s3.enabled is not true") {
			t.Errorf("warnings = %v", ws)
		}
		cfg, ws = parse(t, "kayenta.s3.enabled: true\n")
		if len(ws) != 1 || !strings.Contains(ws[0].String(), "kayenta.yml:1:1: kayenta.s3.enabled: has no effect: kayenta.aws.enabled is not true") {
			t.Errorf("warnings = %v", ws)
		}
		_ = cfg
	})
	t.Run("only OBJECT_STORE accounts are S3 accounts", func(t *testing.T) {
		cfg, ws := parse(t, `
kayenta:
  s3.enabled: true
  aws:
    enabled: true
    accounts:
      - {name: store, bucket: b, supportedTypes: [OBJECT_STORE]}
      - {name: nothing}
      - {name: config, supportedTypes: [CONFIGURATION_STORE]}
`)
		if len(cfg.S3Accounts) != 1 || cfg.S3Accounts[0].Name != "store" || cfg.S3Accounts[0].RootFolder != "kayenta" {
			t.Errorf("S3Accounts = %+v", cfg.S3Accounts)
		}
		if len(ws) != 1 || !strings.Contains(ws[0].String(), "kayenta.yml:9:24: kayenta.aws.accounts[2].supportedTypes: CONFIGURATION_STORE without OBJECT_STORE") {
			t.Errorf("warnings = %v", ws)
		}
	})
	t.Run("unsupported providers", func(t *testing.T) {
		cfg, ws := parse(t, `
kayenta:
  datadog:
    enabled: true
    accounts:
      - name: dd
        apiKey: sekrit-api-key
        endpoint.baseUrl: https://app.datadoghq.com
  stackdriver: {enabled: true, metadataCachingIntervalMS: 60000}
  newrelic: {enabled: false, accounts: [{name: nr, apiKey: sekrit}]}
  signalfx: {enabled: false, accounts: []}
  remote-judge: {enabled: true, endpoint.baseUrl: http://judge}
`)
		want := []string{
			"4:5: kayenta.datadog: datadog is not supported by this service; accounts ignored (dd)",
			"9:17: kayenta.stackdriver: stackdriver is not supported by this service; accounts ignored",
			"10:30: kayenta.newrelic.accounts: kayenta.newrelic.enabled is not true: its 1 account(s) are ignored",
			"12:18: kayenta.remote-judge: remote judges are not supported by this service",
		}
		wantWarnings(t, ws, want)
		if len(cfg.Accounts()) != 0 {
			t.Errorf("Accounts() = %+v", cfg.Accounts())
		}
	})
	t.Run("disabled provider", func(t *testing.T) {
		cfg, ws := parse(t, `
kayenta.prometheus:
  accounts:
    - name: p
      endpoint.baseUrl: ftp://not-checked
`)
		if len(cfg.PrometheusAccounts) != 0 {
			t.Errorf("accounts of a disabled provider: %+v", cfg.PrometheusAccounts)
		}
		if len(ws) != 1 || ws[0].Line != 3 || !strings.Contains(ws[0].Msg, "kayenta.prometheus.enabled is not true: its 1 account(s) are ignored") {
			t.Errorf("warnings = %v", ws)
		}
	})
	t.Run("enabled without accounts", func(t *testing.T) {
		_, ws := parse(t, "kayenta.memory.enabled: true\n")
		if len(ws) != 1 || ws[0].String() != "kayenta.yml:1:1: kayenta.memory: kayenta.memory is enabled but has no accounts" {
			t.Errorf("warnings = %v", ws)
		}
	})
}

func TestPrometheusAuth(t *testing.T) {
	cfg, ws := parse(t, `
kayenta.prometheus:
  enabled: true
  accounts:
    - name: file
      endpoint.baseUrl: http://p1:9090
      usernamePasswordFile: testdata/prom-credentials
      bearerToken: sekrit-ignored
    - name: token
      endpoint.baseUrl: http://p2:9090
      bearerToken: sekrit-token
      username: ignored-user
      password: sekrit-ignored
    - name: basic
      endpoint.baseUrl: http://p3:9090
      username: u
      password: sekrit-basic
    - name: url
      endpoint.baseUrl: https://url-user:sekrit-in-url@p4:9090/prefix/
      supportedTypes: [METRICS_STORE, OBJECT_STORE]
    - name: none
      endpoint.baseUrl: http://p5:9090
`)
	want := []struct{ user, pass, token, header, base string }{
		{"prom-user", "sekrit-file-password", "", "Basic " + basicAuth("prom-user", "sekrit-file-password"), "http://p1:9090"},
		{"", "", "sekrit-token", "Bearer sekrit-token", "http://p2:9090"},
		{"u", "sekrit-basic", "", "Basic " + basicAuth("u", "sekrit-basic"), "http://p3:9090"},
		{"url-user", "sekrit-in-url", "", "Basic " + basicAuth("url-user", "sekrit-in-url"), "https://p4:9090/prefix"},
		{"", "", "", "", "http://p5:9090"},
	}
	for i, w := range want {
		a := cfg.PrometheusAccounts[i]
		h, ok := a.Authorization()
		if a.Username != w.user || a.Password.Value() != w.pass || a.BearerToken.Value() != w.token || h.Value() != w.header || ok != (w.header != "") || a.BaseURL != w.base {
			t.Errorf("%s: %+v, header %v", a.Name, a, ok)
		}
		if !slices.Equal(a.SupportedTypes, types(MetricsStore)) {
			t.Errorf("%s: supportedTypes %v", a.Name, a.SupportedTypes)
		}
	}
	if cfg.PrometheusAccounts[0].UsernamePasswordFile != abs(t, "testdata/prom-credentials") {
		t.Errorf("path = %q", cfg.PrometheusAccounts[0].UsernamePasswordFile)
	}
	wantWarnings(t, ws, []string{
		"8:7: kayenta.prometheus.accounts[0].bearerToken: ignored: usernamePasswordFile takes precedence",
		"12:7: kayenta.prometheus.accounts[1].username: ignored: bearerToken takes precedence",
		"13:7: kayenta.prometheus.accounts[1].password: ignored: bearerToken takes precedence",
		"20:7: kayenta.prometheus.accounts[3].supportedTypes: prometheus accounts serve METRICS_STORE only",
	})
	info, err := json.Marshal(cfg.Accounts()[3])
	if err != nil {
		t.Fatal(err)
	}
	if string(info) != `{"endpoint":{"baseUrl":"https://p4:9090/prefix"},"name":"url","supportedTypes":["METRICS_STORE"],"type":"prometheus"}` {
		t.Errorf("account info = %s", info)
	}
}

func TestAccounts(t *testing.T) {
	testEnv(t)
	cfg, _, err := Load("testdata/kayenta-example.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	got := must(json.Marshal(cfg.Accounts()))
	want := `[{"endpoint":{"baseUrl":"http://localhost:9090"},"name":"my-prometheus-account","supportedTypes":["METRICS_STORE"],"type":"prometheus"},` +
		`{"bucket":"kayenta-bucket","endpoint":"http://minio:9000","name":"my-s3","region":"us-west-2","rootFolder":"kayenta","supportedTypes":["OBJECT_STORE","CONFIGURATION_STORE"],"type":"aws"},` +
		`{"name":"mem","supportedTypes":["OBJECT_STORE","CONFIGURATION_STORE"],"type":"memory"}]`
	if string(got) != want {
		t.Errorf("Accounts():\n got %s\nwant %s", got, want)
	}
	cfg, _, err = Load("testdata/ctl.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Accounts(); len(a) != 3 || a[1].Type != TypeLocal || a[1].Name != "disk" {
		t.Errorf("Accounts() = %+v", a)
	}
}

func TestHasObjectStore(t *testing.T) {
	for _, tt := range []struct {
		yml  string
		want bool
	}{
		{"", false},
		{"kayenta.memory: {enabled: true, accounts: [{name: m, supportedTypes: [OBJECT_STORE]}]}", true},
		{"kayenta.memory: {enabled: true, accounts: [{name: m, supportedTypes: [CONFIGURATION_STORE]}]}", false},
		{"kayenta.memory: {enabled: false, accounts: [{name: m, supportedTypes: [OBJECT_STORE]}]}", false},
		{"kayenta.local: {enabled: true, accounts: [{name: l, rootDirectory: /tmp/x}]}", true},
		{"kayenta: {s3.enabled: true, aws: {enabled: true, accounts: [{name: a, bucket: b, supportedTypes: [OBJECT_STORE]}]}}", true},
		{"kayenta: {aws: {enabled: true, accounts: [{name: a, bucket: b, supportedTypes: [OBJECT_STORE]}]}}", false},
	} {
		cfg, _ := parse(t, tt.yml)
		if cfg.HasObjectStore() != tt.want {
			t.Errorf("%s: HasObjectStore() = %v", tt.yml, !tt.want)
		}
	}
}

func TestUnknownKeysAreWarnings(t *testing.T) {
	_, ws := parse(t, `
kayenta:
  prometheus:
    enabled: true
    scopeLable: pod
    accounts:
      - name: p
        endpoint: {baseUrl: http://p:9090, timeout: 5s}
ctl.executions.maxConcurent: 3
`)
	want := []string{
		`5:5: kayenta.prometheus.scopeLable: unknown key (ignored); did you mean "scopeLabel"?`,
		`8:44: kayenta.prometheus.accounts[0].endpoint.timeout: not used by this service (ignored)`,
		`9:1: ctl.executions.maxConcurent: unknown key (ignored); did you mean "maxConcurrent"?`,
	}
	if got := warningsAt(ws); !slices.Equal(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second}, {"1m30s", 90 * time.Second}, {"250ms", 250 * time.Millisecond},
		{"PT30S", 30 * time.Second}, {"pt1m30s", 90 * time.Second}, {"PT1.5S", 1500 * time.Millisecond},
		{"P1DT2H", 26 * time.Hour}, {"P2D", 48 * time.Hour}, {"2d", 48 * time.Hour}, {"PT0,25S", 250 * time.Millisecond},
	} {
		if got, err := parseDuration(tt.in); err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "30", "P", "PT", "P1DT", "1 minute", "PT1H2S3M", "P99999999999999D", "PT9223372036854775807S"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "10MiB": 10 << 20, "10MB": 10 << 20, "1 kb": 1024, "2GiB": 2 << 30, "5B": 5} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ten", "1.5MB", "-1", "10 megabytes", "99999999999TB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): want an error", in)
		}
	}
}

func TestRetryable(t *testing.T) {
	r := Default().MetricsRetry
	for code, want := range map[int]bool{500: true, 503: true, 429: true, 408: true, 404: false, 200: false, 0: false} {
		if r.Retryable(code) != want {
			t.Errorf("Retryable(%d) = %v", code, !want)
		}
	}
}

func TestSplitKey(t *testing.T) {
	segs, err := splitKey("kayenta.aws.accounts[0][1].[my.key].name")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range segs {
		got = append(got, s.key())
	}
	if want := []string{"kayenta", "aws", "accounts", "", "", "[my.key]", "name"}; len(got) != len(want) || got[0] != "kayenta" || got[5] != want[5] || !segs[3].isIndex || segs[4].index != 1 {
		t.Errorf("segments = %q", got)
	}
	for _, bad := range []string{"", "a.", ".a", "a..b", "a[0", "a[]", "a[0]b"} {
		if _, err := splitKey(bad); err == nil {
			t.Errorf("splitKey(%q): want an error", bad)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "kayenta.yml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "kayenta.yml") {
		t.Errorf("err = %v", err)
	}
}

func TestTokenFileReadableByOthers(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("sekrit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ws := parse(t, "ctl.auth.tokenFile: "+token+"\n")
	if cfg.Auth.TokenFile != token || len(ws) != 1 || !strings.Contains(ws[0].Msg, "can be read by other users (mode 0644)") {
		t.Errorf("token %q, warnings %v", cfg.Auth.TokenFile, ws)
	}
	if err := os.WriteFile(token, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if msg := parseErr(t, "ctl.auth.tokenFile: "+token+"\n"); !strings.Contains(msg, "kayenta.yml:1:21: ctl.auth.tokenFile: tokenFile "+token+" is empty") {
		t.Error(msg)
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tt := range []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "k.yml", Line: 3, Column: 5, Path: "a.b", Msg: "bad"}, "k.yml:3:5: a.b: bad"},
		{FieldError{File: "k.yml", Path: "a.b", Msg: "bad"}, "k.yml: a.b: bad"},
		{FieldError{File: "k.yml", Line: 1, Column: 1, Msg: "bad"}, "k.yml:1:1: bad"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
		if got := (Warning(tt.e)).String(); got != tt.want {
			t.Errorf("warning: got %q, want %q", got, tt.want)
		}
	}
}
