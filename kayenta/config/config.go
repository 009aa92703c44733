package config

import (
	"encoding/json"
	"net/url"
	"slices"
	"time"
)

// SupportedType is what an account is used for (Kayenta's
// AccountCredentials.Type).
type SupportedType string

// The supported types.
const (
	MetricsStore       SupportedType = "METRICS_STORE"
	ObjectStore        SupportedType = "OBJECT_STORE"
	ConfigurationStore SupportedType = "CONFIGURATION_STORE"
)

// supportedTypes lists the valid values, in the order messages give them.
var supportedTypes = []SupportedType{MetricsStore, ObjectStore, ConfigurationStore}

// Has reports whether t is in ts.
func Has(ts []SupportedType, t SupportedType) bool { return slices.Contains(ts, t) }

// Defaults of the keys read, as Kayenta has them (and ours under ctl.*).
const (
	DefaultPort                      = 8090
	DefaultAddress                   = "0.0.0.0"
	DefaultScopeLabel                = "instance"
	DefaultMetadataCachingInterval   = 60 * time.Second
	DefaultHealthInitialDelay        = 2 * time.Second
	DefaultHealthFixedDelay          = 5 * time.Minute
	DefaultRootFolder                = "kayenta"
	DefaultRetryAttempts             = 10
	DefaultBackoffPeriodMultiplierMs = 1000
	DefaultMaxConcurrent             = 8
	DefaultFetchConcurrency          = 8
	DefaultFetchTimeout              = 30 * time.Second
	DefaultLeaseTTL                  = 30 * time.Second
	DefaultMaxRequestBytes           = 10 << 20
)

// Config is the service's configuration.
type Config struct {
	// File is the file the configuration was read from.
	File string

	Server Server

	// Prometheus holds kayenta.prometheus's settings; its accounts are
	// PrometheusAccounts.
	Prometheus Prometheus
	// AWSEnabled is kayenta.aws.enabled; S3Enabled is kayenta.s3.enabled.
	AWSEnabled, S3Enabled bool
	// MemoryEnabled is kayenta.memory.enabled; LocalEnabled is kayenta.local.enabled.
	MemoryEnabled, LocalEnabled bool

	// PrometheusAccounts are the accounts of an enabled kayenta.prometheus.
	PrometheusAccounts []PrometheusAccount
	// S3Accounts are the kayenta.aws accounts with OBJECT_STORE, when both
	// kayenta.aws.enabled and kayenta.s3.enabled are true: the accounts
	// Kayenta's S3StorageService serves.
	S3Accounts []S3Account
	// MemoryAccounts are the accounts of an enabled kayenta.memory.
	MemoryAccounts []MemoryAccount
	// LocalAccounts are the accounts of an enabled kayenta.local: object
	// stores on the local filesystem.
	LocalAccounts []LocalAccount

	// StandaloneCanaryAnalysisEnabled is kayenta.standaloneCanaryAnalysis.enabled.
	StandaloneCanaryAnalysisEnabled bool
	// DefaultArchiversEnabled is kayenta.default-archivers.enabled (default true).
	DefaultArchiversEnabled bool
	// DisableMetricNameValidation is kayenta.disable.metricname.validation.
	DisableMetricNameValidation bool
	// MetricsRetry is kayenta.metrics.retry.
	MetricsRetry MetricsRetry

	// Executions, Auth and Limits are ours, under ctl.*.
	Executions Executions
	Auth       Auth
	Limits     Limits

	// awsAccounts are all the accounts of an enabled kayenta.aws; Kayenta
	// lists them in /credentials whether or not S3 serves them.
	awsAccounts []S3Account
}

// Server is server.*.
type Server struct {
	// Port is server.port (default 8090); 0 picks a free port.
	Port int
	// Address is server.address (default 0.0.0.0).
	Address string
}

// Prometheus is kayenta.prometheus's settings.
type Prometheus struct {
	Enabled bool
	// ScopeLabel is scopeLabel (default instance).
	ScopeLabel string
	// MetadataCachingInterval is metadataCachingIntervalMS (default 60000).
	MetadataCachingInterval time.Duration
	Health                  PrometheusHealth
}

// PrometheusHealth is kayenta.prometheus.health.
type PrometheusHealth struct {
	Enabled bool
	// InitialDelay and FixedDelay are initial-delay (default PT2S) and
	// fixed-delay (default PT5M).
	InitialDelay, FixedDelay time.Duration
}

// PrometheusAccount is a kayenta.prometheus account.
type PrometheusAccount struct {
	Name string
	// BaseURL is endpoint.baseUrl without a trailing slash and without any
	// user:password, which become Username and Password.
	BaseURL string
	// Username and Password are for basic auth: from username and
	// password, from usernamePasswordFile ("username:password"), or from
	// credentials in endpoint.baseUrl.
	Username string
	Password Secret
	// UsernamePasswordFile is the absolute path the credentials were read
	// from, if any.
	UsernamePasswordFile string
	// BearerToken is bearerToken.
	BearerToken Secret
	// SupportedTypes is always [METRICS_STORE], as in Kayenta.
	SupportedTypes []SupportedType
}

// Authorization returns the Authorization header value for requests to the
// account's Prometheus, and whether there is one. Only the credentials that
// take effect are kept (Kayenta's precedence: usernamePasswordFile, then
// bearerToken, then username and password), so at most one kind is set.
func (a PrometheusAccount) Authorization() (Secret, bool) {
	switch {
	case a.BearerToken != "":
		return "Bearer " + a.BearerToken, true
	case a.Username != "" || a.Password != "":
		return Secret("Basic " + basicAuth(a.Username, a.Password.Value())), true
	}
	return "", false
}

// S3Account is a kayenta.aws account.
type S3Account struct {
	Name   string
	Bucket string
	// Region is region; it is used when Endpoint is empty.
	Region string
	// RootFolder is rootFolder (default kayenta): the key prefix.
	RootFolder  string
	ProfileName string
	// Endpoint is endpoint, with https:// added when it has no scheme (as
	// the AWS SDK does); when set, requests use path-style addressing.
	Endpoint string
	// Credentials are explicitCredentials, or Halyard's accessKeyId and
	// secretAccessKey; nil means the profile or the default chain.
	Credentials    *AWSCredentials
	SupportedTypes []SupportedType
}

// AWSCredentials are static AWS credentials.
type AWSCredentials struct {
	AccessKey    string
	SecretKey    Secret
	SessionToken Secret
}

// MemoryAccount is a kayenta.memory account: an in-memory object store.
type MemoryAccount struct {
	Name           string
	SupportedTypes []SupportedType
}

// LocalAccount is a kayenta.local account: an object store in a directory.
type LocalAccount struct {
	Name string
	// RootDirectory is the absolute path of rootDirectory.
	RootDirectory string
	// SupportedTypes defaults to [OBJECT_STORE, CONFIGURATION_STORE].
	SupportedTypes []SupportedType
}

// MetricsRetry is kayenta.metrics.retry: which failed metric fetches are
// retried, and how.
type MetricsRetry struct {
	// Attempts is attempts (default 10): tries per fetch; 0 and 1 both
	// mean a single try.
	Attempts int
	// BackoffPeriodMultiplierMs is backoffPeriodMultiplierMs (default
	// 1000): the wait after try n is n times this.
	BackoffPeriodMultiplierMs int64
	// Series are the status classes retried, such as SERVER_ERROR
	// (default [SERVER_ERROR]).
	Series []string
	// Statuses are the status codes retried (default
	// [REQUEST_TIMEOUT, TOO_MANY_REQUESTS] = [408, 429]).
	Statuses []int
}

// Retryable reports whether a fetch that got HTTP status code is retried.
func (r MetricsRetry) Retryable(code int) bool {
	if slices.Contains(r.Statuses, code) {
		return true
	}
	if s, ok := seriesOf(code); ok {
		return slices.Contains(r.Series, s)
	}
	return false
}

// Executions is ctl.executions.
type Executions struct {
	// MaxConcurrent is maxConcurrent (default 8): executions run at once.
	MaxConcurrent int
	// FetchConcurrency is fetchConcurrency (default 8): metric fetches
	// run at once per execution.
	FetchConcurrency int
	// FetchTimeout is fetchTimeout (default 30s): one metric fetch.
	FetchTimeout time.Duration
	// LeaseTTL is leaseTTL (default 30s).
	LeaseTTL time.Duration
}

// Auth is ctl.auth.
type Auth struct {
	// TokenFile is the absolute path of tokenFile; empty means no auth.
	TokenFile string
}

// Limits is ctl.limits.
type Limits struct {
	// MaxRequestBytes is maxRequestBytes (default 10 MiB).
	MaxRequestBytes int64
}

// Default returns the configuration of an empty file.
func Default() *Config {
	return &Config{
		Server: Server{Port: DefaultPort, Address: DefaultAddress},
		Prometheus: Prometheus{
			ScopeLabel:              DefaultScopeLabel,
			MetadataCachingInterval: DefaultMetadataCachingInterval,
			Health:                  PrometheusHealth{InitialDelay: DefaultHealthInitialDelay, FixedDelay: DefaultHealthFixedDelay},
		},
		DefaultArchiversEnabled: true,
		MetricsRetry: MetricsRetry{
			Attempts:                  DefaultRetryAttempts,
			BackoffPeriodMultiplierMs: DefaultBackoffPeriodMultiplierMs,
			Series:                    []string{"SERVER_ERROR"},
			Statuses:                  []int{408, 429},
		},
		Executions: Executions{
			MaxConcurrent:    DefaultMaxConcurrent,
			FetchConcurrency: DefaultFetchConcurrency,
			FetchTimeout:     DefaultFetchTimeout,
			LeaseTTL:         DefaultLeaseTTL,
		},
		Limits: Limits{MaxRequestBytes: DefaultMaxRequestBytes},
	}
}

// HasObjectStore reports whether any account serves OBJECT_STORE. When
// none does, the service adds an in-memory one.
func (c *Config) HasObjectStore() bool {
	if len(c.S3Accounts) > 0 {
		return true
	}
	for _, a := range c.MemoryAccounts {
		if Has(a.SupportedTypes, ObjectStore) {
			return true
		}
	}
	for _, a := range c.LocalAccounts {
		if Has(a.SupportedTypes, ObjectStore) {
			return true
		}
	}
	return false
}

// Account types, as AccountInfo.Type and Kayenta's /credentials give them.
const (
	TypePrometheus = "prometheus"
	TypeAWS        = "aws"
	TypeMemory     = "memory"
	TypeLocal      = "local"
)

// AccountInfo describes an account for /credentials: no secrets, and no
// credentials in URLs.
type AccountInfo struct {
	Name           string
	Type           string
	SupportedTypes []SupportedType
	// BaseURL is a prometheus account's endpoint.baseUrl.
	BaseURL string
	// Endpoint, Bucket, Region and RootFolder describe an aws account.
	Endpoint, Bucket, Region, RootFolder string
}

// MarshalJSON writes the account the way Kayenta's /credentials does: name,
// type and supportedTypes, plus endpoint.baseUrl for prometheus and bucket,
// region, rootFolder and endpoint for aws.
func (a AccountInfo) MarshalJSON() ([]byte, error) {
	m := map[string]any{"name": a.Name, "type": a.Type, "supportedTypes": a.SupportedTypes}
	if a.SupportedTypes == nil {
		m["supportedTypes"] = []SupportedType{}
	}
	if a.BaseURL != "" {
		m["endpoint"] = map[string]string{"baseUrl": a.BaseURL}
	}
	for k, v := range map[string]string{"endpoint": a.Endpoint, "bucket": a.Bucket, "region": a.Region, "rootFolder": a.RootFolder} {
		if v != "" {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// Accounts lists every account the service registers: prometheus, aws (all
// accounts of an enabled kayenta.aws, as Kayenta lists them), memory and
// local, each in file order.
func (c *Config) Accounts() []AccountInfo {
	var out []AccountInfo
	for _, a := range c.PrometheusAccounts {
		out = append(out, AccountInfo{Name: a.Name, Type: TypePrometheus, SupportedTypes: slices.Clone(a.SupportedTypes), BaseURL: redactURL(a.BaseURL)})
	}
	for _, a := range c.awsAccounts {
		out = append(out, AccountInfo{Name: a.Name, Type: TypeAWS, SupportedTypes: slices.Clone(a.SupportedTypes),
			Endpoint: redactURL(a.Endpoint), Bucket: a.Bucket, Region: a.Region, RootFolder: a.RootFolder})
	}
	for _, a := range c.MemoryAccounts {
		out = append(out, AccountInfo{Name: a.Name, Type: TypeMemory, SupportedTypes: slices.Clone(a.SupportedTypes)})
	}
	for _, a := range c.LocalAccounts {
		out = append(out, AccountInfo{Name: a.Name, Type: TypeLocal, SupportedTypes: slices.Clone(a.SupportedTypes)})
	}
	return out
}

// redactURL hides any password in a URL.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Redacted()
}
