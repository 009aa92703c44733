package halconfig

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// SupportedType is what a canary account can be used for (Halyard's
// AbstractCanaryServiceIntegration.SupportedTypes).
type SupportedType string

const (
	MetricsStore       SupportedType = "METRICS_STORE"
	ObjectStore        SupportedType = "OBJECT_STORE"
	ConfigurationStore SupportedType = "CONFIGURATION_STORE"
)

// typeOrder is the order supportedTypes are written in (the seed listing writes
// OBJECT_STORE before CONFIGURATION_STORE).
var typeOrder = []SupportedType{MetricsStore, ObjectStore, ConfigurationStore}

func validType(s string) bool {
	return slices.Contains(typeOrder, SupportedType(s))
}

// Field describes one account field of a provider. Commands, validation,
// redaction, completion and the YAML mapping are all derived from these.
type Field struct {
	// Key is the field's path inside the account in the YAML file, with "."
	// separating nested mappings (Halyard writes endpoint.baseUrl nested).
	Key string
	// Flag is the flag name of `account add|edit`.
	Flag string
	// Usage is the flag's help text.
	Usage string
	// Secret fields are redacted in every output and prompted for when the
	// flag is given without a value.
	Secret bool
	// LocalFile fields hold a path on this machine; the flag value is made
	// absolute and backups copy the file.
	LocalFile bool
	// Required on `account add`.
	Required bool
	// Default is written on `account add` when the flag is not given.
	Default string
	// URL fields must parse as an http(s) URL; Endpoint fields may also be a bare host[:port].
	URL, Endpoint bool
}

// SettingKind is the type of an integration-level setting.
type SettingKind int

const (
	BoolSetting SettingKind = iota
	IntSetting
)

// Setting describes one integration-level field (such as aws.s3Enabled).
type Setting struct {
	Key   string // YAML key inside the service integration
	Flag  string // flag of `ctl config canary PROVIDER edit`
	Kind  SettingKind
	Usage string
}

// Provider describes one canary service integration the way Halyard models it.
type Provider struct {
	Name string
	// Title is the human name used in messages.
	Title string
	// Settings are the integration-level fields; a provider with none has no
	// `edit` command (signalfx, newrelic), as in Halyard.
	Settings []Setting
	// Fields are the account fields in the order they are written.
	Fields []Field
	// types computes an account's supportedTypes from the integration's
	// current state. It depends only on state, never on the order of
	// commands (fixes spinnaker/spinnaker#2935).
	types func(si *ServiceIntegration, a *Account) []SupportedType
}

// Field returns the account field with the given key.
func (p *Provider) Field(key string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Setting returns the integration setting with the given key.
func (p *Provider) Setting(key string) (Setting, bool) {
	for _, s := range p.Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// SupportedTypes returns the types an account of this provider supports in
// the given integration.
func (p *Provider) SupportedTypes(si *ServiceIntegration, a *Account) []SupportedType {
	return p.types(si, a)
}

func metricsOnly(*ServiceIntegration, *Account) []SupportedType {
	return []SupportedType{MetricsStore}
}

var metadataCaching = Setting{Key: "metadataCachingIntervalMS", Flag: "metadata-caching-interval-ms", Kind: IntSetting,
	Usage: "Number of milliseconds to wait in between caching the names of available metric types (default 60000)"}

// Providers lists the six canary service integrations in Halyard's order.
var Providers = []*Provider{
	{
		Name: "google", Title: "Google",
		Settings: []Setting{
			{Key: "gcsEnabled", Flag: "gcs-enabled", Kind: BoolSetting, Usage: "Whether or not to enable GCS as a persistent store"},
			{Key: "stackdriverEnabled", Flag: "stackdriver-enabled", Kind: BoolSetting, Usage: "Whether or not to enable Stackdriver as a metrics service"},
			metadataCaching,
		},
		Fields: []Field{
			{Key: "project", Flag: "project", Required: true, Usage: "The Google Cloud Platform project the canary service will use to consume GCS and Stackdriver"},
			{Key: "jsonPath", Flag: "json-path", LocalFile: true, Usage: "The path to a JSON service account that Spinnaker will use as credentials"},
			{Key: "bucket", Flag: "bucket", Usage: "The name of a storage bucket that your specified account has access to"},
			{Key: "bucketLocation", Flag: "bucket-location", Usage: "This is only required if the bucket you specify doesn't exist yet"},
			{Key: "rootFolder", Flag: "root-folder", Default: "kayenta", Usage: "The root folder in the chosen bucket to place all of the canary service's persistent data in"},
		},
		types: func(si *ServiceIntegration, a *Account) []SupportedType {
			var t []SupportedType
			if si.StackdriverEnabled {
				t = append(t, MetricsStore)
			}
			if si.GCSEnabled && a.Get("bucket") != "" {
				t = append(t, ObjectStore, ConfigurationStore)
			}
			return t
		},
	},
	{
		Name: "prometheus", Title: "Prometheus",
		Settings: []Setting{metadataCaching},
		Fields: []Field{
			{Key: "endpoint.baseUrl", Flag: "base-url", Required: true, URL: true, Usage: "The base URL to the Prometheus server"},
			{Key: "username", Flag: "username", Usage: "A basic-auth username"},
			{Key: "password", Flag: "password", Secret: true, Usage: "A basic-auth password"},
			{Key: "usernamePasswordFile", Flag: "username-password-file", LocalFile: true, Usage: "The path to a file containing \"username:password\""},
		},
		types: metricsOnly,
	},
	{
		Name: "datadog", Title: "Datadog",
		Settings: []Setting{metadataCaching},
		Fields: []Field{
			{Key: "endpoint.baseUrl", Flag: "base-url", Required: true, URL: true, Usage: "The base URL to the Datadog server"},
			{Key: "apiKey", Flag: "api-key", Required: true, Secret: true, Usage: "Your org's unique Datadog API key"},
			{Key: "applicationKey", Flag: "application-key", Required: true, Secret: true, Usage: "Your Datadog application key"},
		},
		types: metricsOnly,
	},
	{
		Name: "signalfx", Title: "SignalFx",
		Fields: []Field{
			{Key: "accessToken", Flag: "access-token", Required: true, Secret: true, Usage: "The SignalFx access token"},
			{Key: "endpoint.baseUrl", Flag: "base-url", URL: true, Usage: "The base URL to the SignalFx server (default https://stream.signalfx.com)"},
			{Key: "defaultScopeKey", Flag: "default-scope-key", Usage: "Scope key used to distinguish baseline and canary (e.g. server_scope)"},
			{Key: "defaultLocationKey", Flag: "default-location-key", Usage: "Location key used to filter by deployment region (e.g. region)"},
		},
		types: metricsOnly,
	},
	{
		Name: "aws", Title: "AWS",
		Settings: []Setting{
			{Key: "s3Enabled", Flag: "s3-enabled", Kind: BoolSetting, Usage: "Whether or not to enable S3 as a persistent store"},
		},
		Fields: []Field{
			{Key: "bucket", Flag: "bucket", Usage: "The name of a storage bucket that your specified account has access to"},
			{Key: "region", Flag: "region", Usage: "The region to use"},
			{Key: "rootFolder", Flag: "root-folder", Default: "kayenta", Usage: "The root folder in the chosen bucket to place all of the canary service's persistent data in"},
			{Key: "profileName", Flag: "profile-name", Usage: "The profile name to use when resolving AWS credentials (default \"default\")"},
			{Key: "endpoint", Flag: "endpoint", Endpoint: true, Usage: "The endpoint used to reach the service implementing the AWS API (e.g. an S3-compatible store)"},
			{Key: "accessKeyId", Flag: "access-key-id", Usage: "The default access key used to communicate with AWS"},
			{Key: "secretAccessKey", Flag: "secret-access-key", Secret: true, Usage: "The secret key used to communicate with AWS"},
		},
		types: func(si *ServiceIntegration, a *Account) []SupportedType {
			if si.S3Enabled {
				return []SupportedType{ObjectStore, ConfigurationStore}
			}
			return nil
		},
	},
	{
		Name: "newrelic", Title: "New Relic",
		Fields: []Field{
			{Key: "endpoint.baseUrl", Flag: "base-url", Required: true, URL: true, Usage: "The base URL to the New Relic Insights server"},
			{Key: "apiKey", Flag: "api-key", Required: true, Secret: true, Usage: "Your account's unique New Relic Insights API key"},
			{Key: "applicationKey", Flag: "application-key", Required: true, Usage: "Your New Relic account id"},
		},
		types: metricsOnly,
	},
}

// ProviderNames lists the provider names in Halyard's order.
func ProviderNames() []string {
	names := make([]string, len(Providers))
	for i, p := range Providers {
		names[i] = p.Name
	}
	return names
}

// LookupProvider returns the provider with the given name.
func LookupProvider(name string) (*Provider, error) {
	for _, p := range Providers {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown canary service integration %q (want one of %s)", name, strings.Join(ProviderNames(), ", "))
}

func sortTypes(ts []SupportedType) []SupportedType {
	out := slices.Clone(ts)
	sort.SliceStable(out, func(i, j int) bool {
		return slices.Index(typeOrder, out[i]) < slices.Index(typeOrder, out[j])
	})
	return slices.Compact(out)
}
