package halconfig

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// seedStep is one command of the blog's sequence, as the mutation ctl's
// command applies (account add writes rootFolder's default, as the CLI does).
type seedStep struct {
	name   string
	mutate func(d *DeploymentConfiguration)
}

var seedSteps = map[string]seedStep{
	"canary enable": {"canary enable", func(d *DeploymentConfiguration) { d.Canary.Enabled = true }},
	"judge":         {"judge", func(d *DeploymentConfiguration) { d.Canary.DefaultJudge = "NetflixACAJudge-v1.0" }},
	"prom enable":   {"prom enable", func(d *DeploymentConfiguration) { d.Canary.Integration("prometheus").Enabled = true }},
	"prom add": {"prom add", func(d *DeploymentConfiguration) {
		addAccount(d, "prometheus", "my-prometheus", "endpoint.baseUrl", "http://prometheus.example:9090")
	}},
	"aws enable": {"aws enable", func(d *DeploymentConfiguration) { d.Canary.Integration("aws").Enabled = true }},
	"aws add": {"aws add", func(d *DeploymentConfiguration) {
		addAccount(d, "aws", "my-s3", "bucket", "spin-bucket", "rootFolder", "kayenta",
			"endpoint", "s3.seo-ap-geo.objectstorage.service.networklayer.com", "accessKeyId", "ACCESS_ID", "secretAccessKey", "ACCESS_KEY")
	}},
	"s3 enable":       {"s3 enable", func(d *DeploymentConfiguration) { d.Canary.Integration("aws").S3Enabled = true }},
	"metrics store":   {"metrics store", func(d *DeploymentConfiguration) { d.Canary.DefaultMetricsStore = "prometheus" }},
	"metrics account": {"metrics account", func(d *DeploymentConfiguration) { d.Canary.DefaultMetricsAccount = "my-prometheus" }},
	"storage account": {"storage account", func(d *DeploymentConfiguration) { d.Canary.DefaultStorageAccount = "my-s3" }},
}

// TestSupportedTypesOrderIndependent builds the blog's setup through
// Store.Edit in several command orders; the file must come out the same,
// and equal to good/seed.yaml (spinnaker/spinnaker#2935 cannot happen).
func TestSupportedTypesOrderIndependent(t *testing.T) {
	orders := []struct {
		name  string
		steps []string
		// blocked: steps that validation refuses in this order (ERROR);
		// they are then applied with NoValidate, as a user would.
		blocked []string
		// noValidate applies every step with NoValidate.
		noValidate bool
	}{
		{"blog order: account before s3Enabled", []string{
			"canary enable", "judge", "prom enable", "prom add", "aws enable", "aws add", "s3 enable",
			"metrics store", "metrics account", "storage account"}, nil, false},
		{"s3Enabled before account", []string{
			"canary enable", "judge", "prom enable", "prom add", "aws enable", "s3 enable", "aws add",
			"metrics store", "metrics account", "storage account"}, []string{"s3 enable"}, false},
		{"reversed", []string{
			"storage account", "metrics account", "metrics store", "s3 enable", "aws add", "aws enable",
			"prom add", "prom enable", "judge", "canary enable"}, nil, true},
	}
	want := readTestdata(t, "good/seed.yaml")
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			s := newTestStore(t, "")
			for _, name := range o.steps {
				step := seedSteps[name]
				mutate := func(h *Halconfig, d *DeploymentConfiguration) error { step.mutate(d); return nil }
				_, err := s.Edit(EditOptions{NoValidate: o.noValidate}, mutate)
				var be *BlockedError
				if slices.Contains(o.blocked, name) {
					if !errors.As(err, &be) {
						t.Fatalf("step %q: got %v, want a BlockedError", name, err)
					}
					_, err = s.Edit(EditOptions{NoValidate: true}, mutate)
				}
				if err != nil {
					t.Fatalf("step %q: %v", name, err)
				}
				// Between steps, my-s3's types follow s3Enabled alone.
				l, err := s.Load()
				if err != nil {
					t.Fatal(err)
				}
				c := l.Config.Deployment("default").Canary
				if a := c.Integration("aws").Account("my-s3"); a != nil {
					var wantTypes []SupportedType
					if c.Integration("aws").S3Enabled {
						wantTypes = []SupportedType{ObjectStore, ConfigurationStore}
					}
					if !reflect.DeepEqual(a.SupportedTypes, wantTypes) {
						t.Errorf("after %q: my-s3 supportedTypes %v, want %v", name, a.SupportedTypes, wantTypes)
					}
				}
			}
			got, err := os.ReadFile(s.Path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("config after %v\n%s\nwant good/seed.yaml\n%s", o.steps, got, want)
			}
		})
	}
}

// TestSupportedTypesRecomputedOnDisable: turning s3Enabled off removes the
// storage types from every AWS account, as `hal config canary aws edit` does.
func TestSupportedTypesRecomputedOnDisable(t *testing.T) {
	d := seedDeployment(t)
	addAccount(d, "aws", "second", "bucket", "b2")
	d.Canary.Normalize()
	for _, a := range d.Canary.Integration("aws").Accounts {
		if !reflect.DeepEqual(a.SupportedTypes, []SupportedType{ObjectStore, ConfigurationStore}) {
			t.Errorf("%s: %v", a.Name, a.SupportedTypes)
		}
	}
	d.Canary.Integration("aws").S3Enabled = false
	d.Canary.Normalize()
	for _, a := range d.Canary.Integration("aws").Accounts {
		if len(a.SupportedTypes) != 0 {
			t.Errorf("%s keeps %v with s3Enabled=false", a.Name, a.SupportedTypes)
		}
	}
	// Written types are recomputed: a hand-edited list does not survive Normalize.
	s3Acct(d).SupportedTypes = []SupportedType{MetricsStore}
	promAcct(d).SupportedTypes = nil
	d.Canary.Normalize()
	if len(s3Acct(d).SupportedTypes) != 0 || !reflect.DeepEqual(promAcct(d).SupportedTypes, []SupportedType{MetricsStore}) {
		t.Errorf("after Normalize: s3 %v, prometheus %v", s3Acct(d).SupportedTypes, promAcct(d).SupportedTypes)
	}
}

// TestGoogleSupportedTypes: METRICS_STORE iff stackdriverEnabled;
// OBJECT_STORE+CONFIGURATION_STORE iff gcsEnabled and the account has a bucket.
func TestGoogleSupportedTypes(t *testing.T) {
	tests := []struct {
		stackdriver, gcs bool
		bucket           string
		want             []SupportedType
	}{
		{false, false, "", nil},
		{false, false, "b", nil},
		{true, false, "b", []SupportedType{MetricsStore}},
		{false, true, "", nil},
		{false, true, "b", []SupportedType{ObjectStore, ConfigurationStore}},
		{true, true, "", []SupportedType{MetricsStore}},
		{true, true, "b", []SupportedType{MetricsStore, ObjectStore, ConfigurationStore}},
	}
	for _, tt := range tests {
		// Both orders: account first, then the settings; settings first, then the account.
		for _, accountFirst := range []bool{true, false} {
			d := NewDeployment("default")
			si := d.Canary.Integration("google")
			if accountFirst {
				addAccount(d, "google", "gcp", "project", "p", "bucket", tt.bucket)
				d.Canary.Normalize()
			}
			si.StackdriverEnabled, si.GCSEnabled = tt.stackdriver, tt.gcs
			d.Canary.Normalize()
			if !accountFirst {
				addAccount(d, "google", "gcp", "project", "p", "bucket", tt.bucket)
				d.Canary.Normalize()
			}
			got := si.Account("gcp").SupportedTypes
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("stackdriver=%v gcs=%v bucket=%q accountFirst=%v: %v, want %v", tt.stackdriver, tt.gcs, tt.bucket, accountFirst, got, tt.want)
			}
		}
	}
}

func TestMetricsProvidersSupportMetricsOnly(t *testing.T) {
	for _, name := range []string{"prometheus", "datadog", "signalfx", "newrelic"} {
		p, err := LookupProvider(name)
		if err != nil {
			t.Fatal(err)
		}
		si := &ServiceIntegration{Name: name}
		if got := p.SupportedTypes(si, &Account{Name: "a"}); !reflect.DeepEqual(got, []SupportedType{MetricsStore}) {
			t.Errorf("%s: %v", name, got)
		}
	}
}

func TestProviders(t *testing.T) {
	if got := ProviderNames(); !reflect.DeepEqual(got, []string{"google", "prometheus", "datadog", "signalfx", "aws", "newrelic"}) {
		t.Errorf("ProviderNames() = %v", got)
	}
	if _, err := LookupProvider("atlas"); err == nil || !strings.Contains(err.Error(), "google, prometheus, datadog, signalfx, aws, newrelic") {
		t.Errorf("LookupProvider(atlas) = %v", err)
	}
	// Halyard's settings per provider: signalfx and newrelic have none (no edit command).
	wantSettings := map[string][]string{
		"google":     {"gcsEnabled", "stackdriverEnabled", "metadataCachingIntervalMS"},
		"prometheus": {"metadataCachingIntervalMS"},
		"datadog":    {"metadataCachingIntervalMS"},
		"signalfx":   nil,
		"aws":        {"s3Enabled"},
		"newrelic":   nil,
	}
	for _, p := range Providers {
		var keys []string
		for _, s := range p.Settings {
			keys = append(keys, s.Key)
		}
		if !reflect.DeepEqual(keys, wantSettings[p.Name]) {
			t.Errorf("%s settings %v, want %v", p.Name, keys, wantSettings[p.Name])
		}
	}
}

// TestRedact: every Secret field of every provider becomes <redacted>;
// every other field, and fields not set, are left as they were.
func TestRedact(t *testing.T) {
	orig := mustParse(t, "good/all-providers.yaml")
	red := orig.Clone()
	red.Redact()

	wantSecret := map[string][]string{
		"prometheus": {"password"},
		"datadog":    {"apiKey", "applicationKey"},
		"signalfx":   {"accessToken"},
		"aws":        {"secretAccessKey"},
		"newrelic":   {"apiKey"},
	}
	redacted := 0
	for _, si := range red.Deployment("default").Canary.ServiceIntegrations {
		osi := orig.Deployment("default").Canary.Integration(si.Name)
		if len(si.Accounts) != 1 {
			t.Fatalf("%s: want one account in all-providers.yaml", si.Name)
		}
		a, oa := si.Accounts[0], osi.Accounts[0]
		for _, f := range si.Provider().Fields {
			if f.Secret != slices.Contains(wantSecret[si.Name], f.Key) {
				t.Errorf("%s.%s: Secret = %v", si.Name, f.Key, f.Secret)
			}
			if oa.Get(f.Key) == "" {
				t.Errorf("all-providers.yaml should set %s.%s", si.Name, f.Key)
				continue
			}
			if f.Secret {
				redacted++
				if a.Get(f.Key) != Redacted {
					t.Errorf("%s.%s = %q, want %s", si.Name, f.Key, a.Get(f.Key), Redacted)
				}
			} else if a.Get(f.Key) != oa.Get(f.Key) {
				t.Errorf("%s.%s changed from %q to %q", si.Name, f.Key, oa.Get(f.Key), a.Get(f.Key))
			}
		}
		if a.Name != oa.Name || !reflect.DeepEqual(a.SupportedTypes, oa.SupportedTypes) {
			t.Errorf("%s: name or types changed", si.Name)
		}
	}
	if redacted != 6 {
		t.Errorf("%d secrets redacted, want 6", redacted)
	}
	out := string(mustMarshal(t, red))
	for _, secret := range []string{"prom-secret", "dd-api-secret", "dd-app-secret", "sfx-secret", "aws-secret", "nr-api-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted output shows %s", secret)
		}
		// Clone is deep: the original keeps its secrets.
		if !strings.Contains(string(mustMarshal(t, orig)), secret) {
			t.Errorf("Redact of a clone changed the original (%s gone)", secret)
		}
	}

	// An unset secret stays unset.
	d := NewDeployment("x")
	a := addAccount(d, "aws", "s3", "bucket", "b")
	d.Canary.Redact()
	if _, ok := a.Values["secretAccessKey"]; ok {
		t.Error("Redact added a secret that was not set")
	}
}

func TestAccountSetGet(t *testing.T) {
	var a Account
	a.Set("bucket", "") // on a nil map
	if a.Values != nil {
		t.Error("Set with an empty value created the map")
	}
	a.Set("bucket", "b")
	if a.Get("bucket") != "b" || a.Get("region") != "" {
		t.Errorf("Values = %v", a.Values)
	}
	a.Set("bucket", "")
	if _, ok := a.Values["bucket"]; ok {
		t.Error("Set with an empty value did not remove the field")
	}
}

func TestCloneIsDeep(t *testing.T) {
	orig := mustParse(t, "good/two-deployments.yaml")
	before := mustMarshal(t, orig)
	c := orig.Clone()
	st := c.Deployment("staging")
	st.Name = "changed"
	st.DeploymentEnvironment.Location = "ns"
	st.Canary.Enabled = false
	si := st.Canary.Integration("prometheus")
	*si.MetadataCachingIntervalMS = 1
	si.Accounts[0].Set("endpoint.baseUrl", "http://other")
	si.Accounts[0].SupportedTypes[0] = ObjectStore
	si.Accounts = append(si.Accounts, &Account{Name: "new"})
	c.DeploymentConfigurations = append(c.DeploymentConfigurations, NewDeployment("third"))
	c.CurrentDeployment = "third"
	if after := mustMarshal(t, orig); string(after) != string(before) {
		t.Errorf("changing the clone changed the original\n--- before\n%s\n--- after\n%s", before, after)
	}
}

func TestResolve(t *testing.T) {
	cfg := mustParse(t, "good/two-deployments.yaml")
	if d, err := cfg.Resolve(""); err != nil || d.Name != "staging" {
		t.Errorf("Resolve(\"\") = %v, %v", d, err)
	}
	if d, err := cfg.Resolve("default"); err != nil || d.Name != "default" {
		t.Errorf("Resolve(default) = %v, %v", d, err)
	}
	_, err := cfg.Resolve("prod")
	var nf *DeploymentNotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `deployment "prod" does not exist (have: default, staging)`) {
		t.Errorf("Resolve(prod) = %v", err)
	}
}

func TestAccountViewMarshal(t *testing.T) {
	d := seedDeployment(t)
	p, _ := LookupProvider("prometheus")
	out, err := yamlMarshal(AccountView{Provider: p, Account: promAcct(d)})
	if err != nil {
		t.Fatal(err)
	}
	want := "name: my-prometheus\nendpoint:\n    baseUrl: http://prometheus.example:9090\nsupportedTypes:\n    - METRICS_STORE\n"
	if out != want {
		t.Errorf("AccountView YAML\n%s\nwant\n%s", out, want)
	}
}
