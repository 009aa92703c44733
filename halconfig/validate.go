package halconfig

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Severity of a validation problem, as Halyard grades them.
type Severity int

const (
	// Info is for the record only.
	Info Severity = iota + 1
	// Warning is against recommended practice; the change is saved.
	Warning
	// Error means a deploy would fail; the change is not saved.
	Error
	// Fatal means the request cannot be performed; the change is not saved.
	Fatal
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "INFO"
	case Warning:
		return "WARNING"
	case Error:
		return "ERROR"
	case Fatal:
		return "FATAL"
	}
	return "NONE"
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Problem is one validation finding.
type Problem struct {
	Severity Severity `json:"severity" yaml:"severity"`
	// Location is the field path, such as default.canary.prometheus.accounts[my-prometheus].endpoint.baseUrl.
	Location    string `json:"location" yaml:"location"`
	Message     string `json:"message" yaml:"message"`
	Remediation string `json:"remediation,omitempty" yaml:"remediation,omitempty"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s: %s", p.Severity, p.Location, p.Message)
}

// Problems is a list of findings.
type Problems []Problem

// Max returns the highest severity, or 0 when empty.
func (ps Problems) Max() Severity {
	var m Severity
	for _, p := range ps {
		m = max(m, p.Severity)
	}
	return m
}

// Blocking returns the problems at Error or above.
func (ps Problems) Blocking() Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity >= Error {
			out = append(out, p)
		}
	}
	return out
}

// NewSince returns the problems not present in before. Problems are
// compared without their remediation, which may list the config's accounts
// and so change with an unrelated edit.
func (ps Problems) NewSince(before Problems) Problems {
	var out Problems
	for _, p := range ps {
		if !slices.ContainsFunc(before, func(b Problem) bool {
			return b.Severity == p.Severity && b.Location == p.Location && b.Message == p.Message
		}) {
			out = append(out, p)
		}
	}
	return out
}

// accountNameRE is Halyard's CanaryAccountValidator pattern.
var accountNameRE = regexp.MustCompile(`^[a-z0-9]+([-a-z0-9_]*[a-z0-9])?$`)

// metricsStores maps the defaultMetricsStore values to the integration that provides them.
var metricsStores = map[string]string{
	"prometheus":  "prometheus",
	"datadog":     "datadog",
	"signalfx":    "signalfx",
	"newrelic":    "newrelic",
	"stackdriver": "google",
	"atlas":       "",
}

type validator struct {
	dep string
	ps  Problems
}

func (v *validator) add(sev Severity, loc, msg, fix string) {
	v.ps = append(v.ps, Problem{Severity: sev, Location: v.dep + "." + loc, Message: msg, Remediation: fix})
}

// Validate checks one deployment: everything Halyard checks for the canary
// section, plus what it misses (default accounts and store, URLs, empty
// integrations), and the deployment environment. It reads local files the
// config points to but makes no network call (see ValidateOnline).
func Validate(d *DeploymentConfiguration) Problems {
	v := &validator{dep: d.Name}
	v.environment(&d.DeploymentEnvironment)
	c := &d.Canary
	seen := map[string]string{}
	var objectStore bool
	for _, si := range c.ServiceIntegrations {
		p := si.Provider()
		loc := "canary." + si.Name
		if si.Enabled && len(si.Accounts) == 0 {
			v.add(Warning, loc, fmt.Sprintf("%s is enabled but has no accounts.", p.Title),
				fmt.Sprintf("Add one with `ctl config canary %s account add NAME ...`, or `ctl config canary %s disable`.", si.Name, si.Name))
		}
		if si.MetadataCachingIntervalMS != nil && *si.MetadataCachingIntervalMS <= 0 {
			v.add(Error, loc+".metadataCachingIntervalMS", "must be a positive number of milliseconds.", "Set it with --metadata-caching-interval-ms, e.g. 60000.")
		}
		for _, a := range si.Accounts {
			aloc := fmt.Sprintf("%s.accounts[%s]", loc, a.Name)
			v.account(p, si, a, aloc)
			if other, dup := seen[a.Name]; dup {
				v.add(Fatal, aloc, fmt.Sprintf("Canary account %q appears more than once (also in %s).", a.Name, other),
					"Account names must be unique across all canary integrations: delete or rename one.")
			}
			seen[a.Name] = si.Name
			if si.Enabled && a.Supports(ObjectStore) && a.Supports(ConfigurationStore) {
				objectStore = true
			}
		}
		switch si.Name {
		case "aws":
			if si.S3Enabled && !slices.ContainsFunc(si.Accounts, func(a *Account) bool { return a.Get("bucket") != "" }) {
				v.add(Error, loc+".s3Enabled", "S3 is enabled but no AWS account has a bucket.",
					"Add one with `ctl config canary aws account add NAME --bucket BUCKET`, or `ctl config canary aws edit --s3-enabled=false`.")
			}
		case "google":
			if si.GCSEnabled && !slices.ContainsFunc(si.Accounts, func(a *Account) bool { return a.Get("bucket") != "" }) {
				v.add(Error, loc+".gcsEnabled", "GCS is enabled but no Google account has a bucket.",
					"Add one with `ctl config canary google account add NAME --project P --bucket BUCKET`, or `ctl config canary google edit --gcs-enabled=false`.")
			}
		}
	}
	if c.Enabled && !objectStore {
		v.add(Warning, "canary", "There is no account of type CONFIGURATION_STORE and OBJECT_STORE configured.",
			"Enable S3 (`ctl config canary aws enable`, `ctl config canary aws edit --s3-enabled=true`) or GCS with a bucketed account; until then the service keeps configs and results on its local disk.")
	}
	v.defaults(c)
	return v.ps
}

func (v *validator) environment(e *DeploymentEnvironment) {
	switch e.Type {
	case EnvLocal, EnvDistributed:
	default:
		v.add(Error, "deploymentEnvironment.type", fmt.Sprintf("unknown type %q.", e.Type), "Use `ctl config deploy edit --type local` or `--type distributed`.")
	}
	if e.Location != "" && !dnsLabelRE.MatchString(e.Location) {
		v.add(Error, "deploymentEnvironment.location", fmt.Sprintf("namespace %q is not a valid Kubernetes namespace name.", e.Location),
			"Use lower-case letters, digits and '-', at most 63 characters: `ctl config deploy edit --namespace NS`.")
	}
	if e.KubeconfigFile != "" {
		if _, err := os.Stat(e.KubeconfigFile); err != nil {
			v.add(Error, "deploymentEnvironment.kubeconfigFile", fmt.Sprintf("cannot read kubeconfig: %v.", err), "Point --kubeconfig at an existing file.")
		}
	}
	if e.Type == EnvDistributed && e.AccountName == "" {
		v.add(Warning, "deploymentEnvironment.accountName", "distributed deployment without a kubeconfig context: the kubeconfig's current context will be used.",
			"Set one with `ctl config deploy edit --account-name CONTEXT`.")
	}
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

func (v *validator) account(p *Provider, si *ServiceIntegration, a *Account, loc string) {
	if a.Name == "" {
		v.add(Fatal, loc, "Canary account name must be specified.", "")
	} else if !accountNameRE.MatchString(a.Name) {
		v.add(Error, loc, fmt.Sprintf("Account name %q must match %s.", a.Name, accountNameRE),
			"Use lower-case letters, digits, '-' and '_', starting and ending with a letter or digit.")
	}
	for _, f := range p.Fields {
		val := a.Get(f.Key)
		floc := loc + "." + f.Key
		if f.Required && val == "" {
			v.add(Error, floc, fmt.Sprintf("%s accounts need %s.", p.Title, f.Key),
				fmt.Sprintf("Set it with `ctl config canary %s account edit %s --%s VALUE`.", p.Name, a.Name, f.Flag))
			continue
		}
		if val == "" || IsSecretReference(val) {
			continue
		}
		if f.URL {
			if err := checkURL(val); err != nil {
				v.add(Error, floc, fmt.Sprintf("%q is not a usable URL: %v.", val, err), fmt.Sprintf("Give an http(s) URL such as http://prometheus:9090 with --%s.", f.Flag))
			}
		}
		if f.Endpoint {
			if err := checkEndpoint(val); err != nil {
				v.add(Error, floc, fmt.Sprintf("%q is not a usable endpoint: %v.", val, err), fmt.Sprintf("Give a host[:port] or an http(s) URL with --%s.", f.Flag))
			}
		}
	}
	switch p.Name {
	case "prometheus":
		if f := a.Get("usernamePasswordFile"); f != "" && !IsSecretReference(f) {
			data, err := os.ReadFile(f)
			switch {
			case err != nil:
				v.add(Fatal, loc+".usernamePasswordFile", fmt.Sprintf("Cannot read the username/password file: %v.", err), "Point --username-password-file at a readable file holding username:password.")
			case len(strings.TrimSpace(string(data))) == 0:
				v.add(Error, loc+".usernamePasswordFile", "The username/password file is empty.", "Write username:password into it.")
			case !strings.Contains(string(data), ":"):
				v.add(Error, loc+".usernamePasswordFile", "The username/password file has no ':' separating username and password.", "Write username:password into it.")
			}
		}
		if a.Get("password") != "" && a.Get("username") == "" {
			v.add(Warning, loc+".password", "A password without a username is ignored.", "Set --username too.")
		}
	case "google":
		if a.Get("bucket") != "" && a.Get("project") == "" {
			v.add(Error, loc+".project", "A bucketed Google account needs a project.", "Set --project.")
		}
		if f := a.Get("jsonPath"); f != "" && !IsSecretReference(f) {
			data, err := os.ReadFile(f)
			switch {
			case err != nil:
				v.add(Fatal, loc+".jsonPath", fmt.Sprintf("Cannot read the JSON key: %v.", err), "Point --json-path at a readable service-account key.")
			case len(data) == 0:
				v.add(Warning, loc+".jsonPath", "The JSON key file is empty.", "")
			}
		}
	case "aws":
		if (a.Get("accessKeyId") == "") != (a.Get("secretAccessKey") == "") {
			v.add(Error, loc, "accessKeyId and secretAccessKey must be given together.", "Set both --access-key-id and --secret-access-key, or neither to use the default credential chain.")
		}
	}
}

func (v *validator) defaults(c *Canary) {
	if c.DefaultJudge == "" {
		v.add(Error, "canary.defaultJudge", "No default judge is set.", "Run `ctl config canary edit --default-judge "+DefaultJudge+"`.")
	} else if c.DefaultJudge != DefaultJudge {
		v.add(Warning, "canary.defaultJudge", fmt.Sprintf("Judge %q is not bundled with ctl's analysis service (it has %s).", c.DefaultJudge, DefaultJudge),
			"Canary analyses must name their judge explicitly, or use `ctl config canary edit --default-judge "+DefaultJudge+"`.")
	}
	if s := c.DefaultMetricsStore; s != "" {
		integ, known := metricsStores[s]
		switch {
		case !known:
			v.add(Error, "canary.defaultMetricsStore", fmt.Sprintf("Unknown metrics store %q.", s), "Use one of prometheus, datadog, signalfx, newrelic, stackdriver.")
		case integ == "":
			v.add(Error, "canary.defaultMetricsStore", fmt.Sprintf("Metrics store %q has no integration in ctl.", s), "Use one of prometheus, datadog, signalfx, newrelic, stackdriver.")
		default:
			si := c.Integration(integ)
			switch {
			case si == nil || !si.Enabled:
				v.add(Error, "canary.defaultMetricsStore", fmt.Sprintf("Default metrics store %q is not enabled.", s), fmt.Sprintf("Run `ctl config canary %s enable`.", integ))
			case !slices.ContainsFunc(si.Accounts, func(a *Account) bool { return a.Supports(MetricsStore) }):
				v.add(Error, "canary.defaultMetricsStore", fmt.Sprintf("Default metrics store %q has no metrics account.", s), fmt.Sprintf("Add one with `ctl config canary %s account add NAME ...`.", integ))
			}
		}
	}
	if name := c.DefaultMetricsAccount; name != "" {
		v.defaultAccount(c, "canary.defaultMetricsAccount", name, MetricsStore)
	}
	if name := c.DefaultStorageAccount; name != "" {
		v.defaultAccount(c, "canary.defaultStorageAccount", name, ObjectStore)
	}
}

func (v *validator) defaultAccount(c *Canary, loc, name string, t SupportedType) {
	si, a := c.FindAccount(name)
	if a == nil {
		v.add(Error, loc, fmt.Sprintf("Account %q does not exist.", name), "Add it first, or pick one of: "+strings.Join(c.accountsOfType(t), ", ")+".")
		return
	}
	if !a.Supports(t) {
		fix := "Pick an account that does: " + strings.Join(c.accountsOfType(t), ", ") + "."
		if si.Name == "aws" {
			fix = "Run `ctl config canary aws edit --s3-enabled=true`."
		} else if si.Name == "google" {
			fix = "Run `ctl config canary google edit --gcs-enabled=true` (for storage) or `--stackdriver-enabled=true` (for metrics)."
		}
		v.add(Error, loc, fmt.Sprintf("Account %q (%s) does not support %s.", name, si.Name, t), fix)
		return
	}
	if !si.Enabled {
		v.add(Error, loc, fmt.Sprintf("Account %q belongs to %s, which is disabled.", name, si.Name), fmt.Sprintf("Run `ctl config canary %s enable`.", si.Name))
	}
}

func (c *Canary) accountsOfType(t SupportedType) []string {
	var out []string
	for _, si := range c.ServiceIntegrations {
		for _, a := range si.Accounts {
			if a.Supports(t) {
				out = append(out, a.Name)
			}
		}
	}
	if len(out) == 0 {
		return []string{"(none yet)"}
	}
	return out
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme must be http or https")
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return fmt.Errorf("bad port %q", p)
		}
	}
	return nil
}

func checkEndpoint(s string) error {
	if strings.Contains(s, "://") {
		return checkURL(s)
	}
	return checkURL("https://" + s)
}
