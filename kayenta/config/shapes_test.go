package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShapeErrors covers wrong shapes and values in small inline files;
// every error names kayenta.yml:line:col and the key.
func TestShapeErrors(t *testing.T) {
	for _, tt := range []struct{ yml, want string }{
		{"server.port: {value: 1}\n", `kayenta.yml:1:1: server.port: want a port number from 0 to 65535, got a mapping`},
		{"server.port: [1, 2]\n", `kayenta.yml:1:1: server.port: want a port number from 0 to 65535, got a list`},
		{"server: [port]\n", `kayenta.yml:1:1: server: want a mapping, got a list`},
		{"server: 8090\n", `kayenta.yml:1:9: server: want a mapping, got a number`},
		{"kayenta.prometheus.accounts: {name: p}\nkayenta.prometheus.enabled: true\n", `kayenta.yml:1:1: kayenta.prometheus.accounts: want a list of accounts, got a mapping`},
		{"kayenta.memory: {enabled: true, accounts: [[a]]}\n", `kayenta.yml:1:44: kayenta.memory.accounts[0]: want an account (a mapping with a name), got a list`},
		{"kayenta.memory: {enabled: true, accounts: [{name: [a]}]}\n", `kayenta.yml:1:45: kayenta.memory.accounts[0].name: want an account name, got a list`},
		{"kayenta.memory: {enabled: true, accounts: [{name: m, supportedTypes: {a: b}}]}\n", `kayenta.memory.accounts[0].supportedTypes: want a list of METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE, got a mapping`},
		{"kayenta.prometheus: {enabled: true, accounts: [{name: p, endpoint.baseUrl: 'http://'}]}\n", `kayenta.yml:1:76: kayenta.prometheus.accounts[0].endpoint.baseUrl: want an http:// or https:// URL with a host, got "http:"`},
		{"kayenta.prometheus: {enabled: true, accounts: [{name: p, endpoint.baseUrl: 'http://p:9090/?x=1'}]}\n", `want a URL without a query or fragment, got "http://p:9090/?x=1"`},
		{"kayenta.prometheus: {enabled: true, accounts: [{name: p, endpoint.baseUrl: 'http://u:sekrit@[::1'}]}\n", `baseUrl: want an http:// or https:// URL, got an invalid URL (not shown: it may hold credentials)`},
		{"kayenta.prometheus: {enabled: true, accounts: [{name: p, endpoint.baseUrl: 'http://[::1'}]}\n", `baseUrl: want an http:// or https:// URL, got "http://[::1"`},
		{"kayenta.prometheus: {enabled: true, accounts: [{name: p, endpoint: {}}]}\n", `kayenta.yml:1:58: kayenta.prometheus.accounts[0].endpoint.baseUrl: missing`},
		{"kayenta.prometheus.health.initial-delay: soon\n", `kayenta.yml:1:42: kayenta.prometheus.health.initial-delay: want a positive duration such as PT2S or 2000 (milliseconds), got "soon"`},
		{"kayenta.prometheus.health.fixed-delay: 0\n", `kayenta.prometheus.health.fixed-delay: want a positive duration such as PT2S or 2000 (milliseconds), got "0"`},
		{"kayenta.prometheus: true\nkayenta:\n  prometheus:\n    enabled: true\n", `kayenta.yml:4:5: kayenta.prometheus: set more than once (first at line 1)`},
		{"kayenta.prometheus.accounts: x\nkayenta: {prometheus.accounts: [a]}\n", `kayenta.yml:2:33: kayenta.prometheus.accounts: set more than once (first at line 1)`},
		{"kayenta.prometheus.accounts[0]: x\nkayenta.prometheus.accounts: y\n", `kayenta.yml:2:1: kayenta.prometheus.accounts: set more than once (first at line 1)`},
		{"a: &x [1]\nserver:\n  <<: *x\n", `kayenta.yml:1:8: server: << merges a mapping or a list of mappings, got a number`},
		{"server:\n  <<: 8090\n", `kayenta.yml:2:7: server: << merges a mapping or a list of mappings, got a number`},
		{"? [a, b]\n: 1\n", `kayenta.yml:1:3: a key must be a string, got a list`},
		{"kayenta:\n  prometheus: {enabled: true}\nkayenta:\n  aws: {enabled: true}\n", `kayenta.yml:3:1: key "kayenta" appears twice in this mapping (first at line 1)`},
		{"kayenta.aws: {enabled: true, accounts: [{name: a, accessKeyId: encrypted:k!f:x, secretAccessKey: encrypted:sekrit}]}\n", `kayenta.aws.accounts[0].secretAccessKey: Halyard secret references (encrypted:...) are not decrypted`},
		{"kayenta.prometheus: {enabled: true, accounts: [{name: p, endpoint.baseUrl: 'http://p', usernamePasswordFile: 'encryptedFile:s3!f:x'}]}\n", `usernamePasswordFile: Halyard secret file references (encryptedFile:...) are not decrypted by this service`},
		{"kayenta: {s3.enabled: true, aws: {enabled: true, accounts: [{name: a, bucket: 'b/prefix', supportedTypes: [OBJECT_STORE]}]}}\n", `kayenta.aws.accounts[0].bucket: "b/prefix" is not a bucket name (no '/' or spaces): put a key prefix in rootFolder`},
		{"kayenta: {s3.enabled: true, aws: {enabled: true, accounts: [{name: a, bucket: b, rootFolder: '', supportedTypes: [OBJECT_STORE]}]}}\n", `kayenta.aws.accounts[0].rootFolder: an aws account with OBJECT_STORE needs a rootFolder (the default is kayenta)`},
		{"kayenta: {aws: {enabled: true, accounts: [{name: a, explicitCredentials: {accessKey: k, sessionToken: sekrit}}]}}\n", `kayenta.aws.accounts[0].explicitCredentials.secretKey: missing: explicitCredentials need a secretKey`},
		{"kayenta: {aws: {enabled: true, accounts: [{name: a, secretAccessKey: sekrit}]}}\n", `kayenta.aws.accounts[0].accessKeyId: missing: secretAccessKey needs an accessKeyId`},
		{"kayenta.memory: {enabled: true, accounts: [{name: m}, {name: m}]}\n", `kayenta.yml:1:62: kayenta.memory.accounts[1].name: duplicate account name "m": already used by the memory account at line 1`},
		{"kayenta.local: {enabled: true, accounts: [{name: l, rootDirectory: ''}]}\n", `kayenta.local.accounts[0].rootDirectory: missing`},
		{"kayenta.standaloneCanaryAnalysis.enabled: sometimes\n", `kayenta.standaloneCanaryAnalysis.enabled: want true or false, got "sometimes"`},
		{"kayenta.metrics.retry.backoffPeriodMultiplierMs: -1\n", `kayenta.metrics.retry.backoffPeriodMultiplierMs: want a whole number of milliseconds, 0 or more, got "-1"`},
		{"ctl.limits.maxRequestBytes: 0\n", `ctl.limits.maxRequestBytes: want a positive size in bytes, such as 10485760 or 10MiB, got "0"`},
		{"ctl.executions.maxConcurrent: 99999999999\n", `ctl.executions.maxConcurrent: want a whole number, 1 or more, got "99999999999"`},
		{"server.port: ${CTL_TEST_UNSET_A:${CTL_TEST_UNSET_B}}\n", `server.port: cannot resolve placeholder ${CTL_TEST_UNSET_B}`},
		{"just a string\n", `kayenta.yml:1:1: want a mapping of keys such as server and kayenta, got a string`},
	} {
		t.Run(tt.want, func(t *testing.T) {
			msg := parseErr(t, tt.yml)
			if strings.Count(msg, "\n") != 1 {
				t.Errorf("want one error:\n%s", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error lacks %q:\n%s", tt.want, msg)
			}
			if strings.Contains(msg, secretMarker) {
				t.Errorf("error shows a secret:\n%s", msg)
			}
		})
	}
}

func TestShapesThatLoad(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	cfg, ws := parse(t, `
defaults: &defaults
  enabled: true
server:
  address: '[::1]'
  port: 0
kayenta:
  prometheus:
    <<: [*defaults, {scopeLabel: ignored-by-yaml-merge-order}]
    scopeLabel: job
    health: {initial-delay: 1500, fixed-delay: PT1M}
    accounts:
    - name: p
      endpoint:
      endpoint.baseUrl: http://p:9090
  local:
    enabled: true
    accounts:
    - {name: l, rootDirectory: ~/ctl-store, supportedTypes: [OBJECT_STORE, METRICS_STORE]}
  memory:
    enabled: true
    accounts:
    - {name: m}
  metrics.retry.series: ''
  metrics.retry.statuses: 429, service-unavailable, 504
`)
	if cfg.Server.Address != "::1" || cfg.Server.Port != 0 {
		t.Errorf("server = %+v", cfg.Server)
	}
	p := cfg.Prometheus
	if !p.Enabled || p.ScopeLabel != "job" || p.Health.InitialDelay != 1500*time.Millisecond || p.Health.FixedDelay != time.Minute {
		t.Errorf("prometheus = %+v", p)
	}
	if len(cfg.PrometheusAccounts) != 1 || cfg.PrometheusAccounts[0].BaseURL != "http://p:9090" {
		t.Errorf("prometheus accounts = %+v", cfg.PrometheusAccounts)
	}
	if l := cfg.LocalAccounts; len(l) != 1 || l[0].RootDirectory != filepath.Join(home, "ctl-store") {
		t.Errorf("local accounts = %+v", l)
	}
	if m := cfg.MemoryAccounts; len(m) != 1 || len(m[0].SupportedTypes) != 0 || m[0].SupportedTypes == nil {
		t.Errorf("memory accounts = %+v", m)
	}
	if r := cfg.MetricsRetry; len(r.Series) != 0 || len(r.Statuses) != 3 || r.Statuses[1] != 503 {
		t.Errorf("retry = %+v", r)
	}
	wantWarnings(t, ws, []string{
		"3:3: defaults.enabled: not used",
		"19:45: kayenta.local.accounts[0].supportedTypes: object stores serve no metrics: METRICS_STORE ignored",
		"23:7: kayenta.memory.accounts[0].supportedTypes: no supportedTypes: this account serves nothing",
	})
}
