package halconfig

import (
	"slices"
	"strings"
)

// APIVersion is the schema version this ctl writes.
const APIVersion = "ctl/v1"

// Kind is the kind of the config file.
const Kind = "Halconfig"

// DefaultJudge is Kayenta's default judge.
const DefaultJudge = "NetflixACAJudge-v1.0"

// DefaultDeployment is the name of the deployment a new config starts with.
const DefaultDeployment = "default"

// Halconfig is the whole config file: Halyard's halconfig with a schema header.
type Halconfig struct {
	// APIVersion is the schema version of the file (ctl/v1).
	APIVersion string `yaml:"apiVersion"`
	// Kind is always Halconfig.
	Kind string `yaml:"kind"`
	// CurrentDeployment is the deployment commands act on unless --deployment says otherwise.
	CurrentDeployment string `yaml:"currentDeployment"`
	// DeploymentConfigurations holds one entry per deployment.
	DeploymentConfigurations []*DeploymentConfiguration `yaml:"deploymentConfigurations"`
}

// DeploymentConfiguration is one deployment: where it runs and its canary settings.
type DeploymentConfiguration struct {
	Name                  string                `yaml:"name"`
	DeploymentEnvironment DeploymentEnvironment `yaml:"deploymentEnvironment"`
	Canary                Canary                `yaml:"canary"`
}

// Deployment environment types.
const (
	EnvLocal       = "local"
	EnvDistributed = "distributed"
)

// DeploymentEnvironment says where `ctl deploy` puts the analysis service.
// Field names follow Halyard's deploymentEnvironment.
type DeploymentEnvironment struct {
	// Type is local (a process on this machine, the default) or distributed (Kubernetes).
	// Set with `ctl config deploy edit --type`.
	Type string `yaml:"type"`
	// AccountName is the kubeconfig context used in distributed mode (--account-name).
	AccountName string `yaml:"accountName,omitempty"`
	// Location is the Kubernetes namespace (--namespace). Empty means "spinnaker", as in Halyard.
	Location string `yaml:"location,omitempty"`
	// KubeconfigFile is the kubeconfig path (--kubeconfig). Empty means the client-go default.
	KubeconfigFile string `yaml:"kubeconfigFile,omitempty"`
}

// Canary is Halyard's canary section, with the same field names and order.
type Canary struct {
	Enabled               bool                  `yaml:"enabled"`
	ServiceIntegrations   []*ServiceIntegration `yaml:"serviceIntegrations"`
	ReduxLoggerEnabled    bool                  `yaml:"reduxLoggerEnabled"`
	DefaultMetricsAccount string                `yaml:"defaultMetricsAccount,omitempty"`
	DefaultStorageAccount string                `yaml:"defaultStorageAccount,omitempty"`
	DefaultJudge          string                `yaml:"defaultJudge"`
	DefaultMetricsStore   string                `yaml:"defaultMetricsStore,omitempty"`
	StagesEnabled         bool                  `yaml:"stagesEnabled"`
	TemplatesEnabled      bool                  `yaml:"templatesEnabled"`
	ShowAllConfigsEnabled bool                  `yaml:"showAllConfigsEnabled"`
	AtlasWebComponentsURL string                `yaml:"atlasWebComponentsUrl,omitempty"`
}

// ServiceIntegration is one entry of canary.serviceIntegrations. Which
// settings apply depends on the provider (Provider.Settings).
type ServiceIntegration struct {
	Name     string
	Enabled  bool
	Accounts []*Account
	// GCSEnabled and StackdriverEnabled apply to google.
	GCSEnabled         bool
	StackdriverEnabled bool
	// S3Enabled applies to aws.
	S3Enabled bool
	// MetadataCachingIntervalMS applies to google, prometheus and datadog; nil means unset (60000).
	MetadataCachingIntervalMS *int64
}

// Account is a canary account. Its fields are described by its provider;
// Values is keyed by Field.Key.
type Account struct {
	Name           string
	Values         map[string]string
	SupportedTypes []SupportedType
}

// Get returns the value of the field key, or "".
func (a *Account) Get(key string) string { return a.Values[key] }

// Set sets a field; an empty value removes it.
func (a *Account) Set(key, value string) {
	if value == "" {
		delete(a.Values, key)
		return
	}
	if a.Values == nil {
		a.Values = map[string]string{}
	}
	a.Values[key] = value
}

// Supports reports whether the account supports the type.
func (a *Account) Supports(t SupportedType) bool { return slices.Contains(a.SupportedTypes, t) }

// Provider returns the provider description of the integration.
func (si *ServiceIntegration) Provider() *Provider {
	p, _ := LookupProvider(si.Name)
	return p
}

// Account returns the named account or nil.
func (si *ServiceIntegration) Account(name string) *Account {
	for _, a := range si.Accounts {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// BoolSetting returns a pointer to the bool setting with key.
func (si *ServiceIntegration) boolSetting(key string) *bool {
	switch key {
	case "gcsEnabled":
		return &si.GCSEnabled
	case "stackdriverEnabled":
		return &si.StackdriverEnabled
	case "s3Enabled":
		return &si.S3Enabled
	}
	return nil
}

// SetBool sets an integration-level bool setting.
func (si *ServiceIntegration) SetBool(key string, v bool) { *si.boolSetting(key) = v }

// Bool reads an integration-level bool setting.
func (si *ServiceIntegration) Bool(key string) bool { return *si.boolSetting(key) }

// NewConfig returns a config with one default deployment.
func NewConfig() *Halconfig {
	return &Halconfig{
		APIVersion:               APIVersion,
		Kind:                     Kind,
		CurrentDeployment:        DefaultDeployment,
		DeploymentConfigurations: []*DeploymentConfiguration{NewDeployment(DefaultDeployment)},
	}
}

// NewDeployment returns a deployment with Halyard's defaults: canary
// disabled, all six integrations present and disabled.
func NewDeployment(name string) *DeploymentConfiguration {
	d := &DeploymentConfiguration{
		Name:                  name,
		DeploymentEnvironment: DeploymentEnvironment{Type: EnvLocal},
		Canary: Canary{
			ReduxLoggerEnabled:    true,
			DefaultJudge:          DefaultJudge,
			StagesEnabled:         true,
			TemplatesEnabled:      true,
			ShowAllConfigsEnabled: true,
		},
	}
	d.Canary.fillIntegrations()
	return d
}

// fillIntegrations adds any missing integration, keeping Halyard's order.
func (c *Canary) fillIntegrations() {
	out := make([]*ServiceIntegration, 0, len(Providers))
	for _, p := range Providers {
		si := c.Integration(p.Name)
		if si == nil {
			si = &ServiceIntegration{Name: p.Name}
		}
		out = append(out, si)
	}
	c.ServiceIntegrations = out
}

// Integration returns the named integration or nil.
func (c *Canary) Integration(name string) *ServiceIntegration {
	for _, si := range c.ServiceIntegrations {
		if si.Name == name {
			return si
		}
	}
	return nil
}

// FindAccount finds an account by name across all integrations.
func (c *Canary) FindAccount(name string) (*ServiceIntegration, *Account) {
	for _, si := range c.ServiceIntegrations {
		if a := si.Account(name); a != nil {
			return si, a
		}
	}
	return nil, nil
}

// Normalize recomputes derived state: every integration is present in
// Halyard's order and every account's supportedTypes follow its provider's
// rules from the current state, whatever order the commands ran in.
func (c *Canary) Normalize() {
	c.fillIntegrations()
	for _, si := range c.ServiceIntegrations {
		p := si.Provider()
		for _, a := range si.Accounts {
			a.SupportedTypes = sortTypes(p.SupportedTypes(si, a))
		}
	}
}

// Deployment returns the named deployment or nil.
func (h *Halconfig) Deployment(name string) *DeploymentConfiguration {
	for _, d := range h.DeploymentConfigurations {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// DeploymentNames lists the deployments.
func (h *Halconfig) DeploymentNames() []string {
	var out []string
	for _, d := range h.DeploymentConfigurations {
		out = append(out, d.Name)
	}
	return out
}

// Normalize recomputes derived state in every deployment.
func (h *Halconfig) Normalize() {
	h.APIVersion, h.Kind = APIVersion, Kind
	for _, d := range h.DeploymentConfigurations {
		if d.DeploymentEnvironment.Type == "" {
			d.DeploymentEnvironment.Type = EnvLocal
		}
		d.Canary.Normalize()
	}
}

// Clone returns a deep copy.
func (h *Halconfig) Clone() *Halconfig {
	out := *h
	out.DeploymentConfigurations = make([]*DeploymentConfiguration, len(h.DeploymentConfigurations))
	for i, d := range h.DeploymentConfigurations {
		out.DeploymentConfigurations[i] = d.Clone()
	}
	return &out
}

// Clone returns a deep copy.
func (d *DeploymentConfiguration) Clone() *DeploymentConfiguration {
	out := *d
	out.Canary = d.Canary.Clone()
	return &out
}

// Clone returns a deep copy.
func (c Canary) Clone() Canary {
	out := c
	out.ServiceIntegrations = make([]*ServiceIntegration, len(c.ServiceIntegrations))
	for i, si := range c.ServiceIntegrations {
		out.ServiceIntegrations[i] = si.Clone()
	}
	return out
}

// Clone returns a deep copy.
func (si *ServiceIntegration) Clone() *ServiceIntegration {
	out := *si
	if si.MetadataCachingIntervalMS != nil {
		v := *si.MetadataCachingIntervalMS
		out.MetadataCachingIntervalMS = &v
	}
	out.Accounts = make([]*Account, len(si.Accounts))
	for i, a := range si.Accounts {
		out.Accounts[i] = a.Clone()
	}
	return &out
}

// Clone returns a deep copy.
func (a *Account) Clone() *Account {
	out := &Account{Name: a.Name, SupportedTypes: slices.Clone(a.SupportedTypes), Values: map[string]string{}}
	for k, v := range a.Values {
		out.Values[k] = v
	}
	return out
}

// Redacted is what every output shows instead of a secret value.
const Redacted = "<redacted>"

// Redact replaces every secret value with Redacted, in place.
func (c *Canary) Redact() {
	for _, si := range c.ServiceIntegrations {
		for _, a := range si.Accounts {
			a.Redact(si.Provider())
		}
	}
}

// Redact replaces the account's secret values with Redacted, in place.
func (a *Account) Redact(p *Provider) {
	for _, f := range p.Fields {
		if f.Secret && a.Get(f.Key) != "" {
			a.Values[f.Key] = Redacted
		}
	}
}

// Redact replaces every secret value with Redacted, in place.
func (h *Halconfig) Redact() {
	for _, d := range h.DeploymentConfigurations {
		d.Canary.Redact()
	}
}

// splitKey splits a nested field key such as endpoint.baseUrl.
func splitKey(k string) []string { return strings.Split(k, ".") }
