package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Load reads the service's configuration from the kayenta.yml at path.
// The warnings name keys that were ignored or settings without effect;
// an error (a *ParseError for problems in the file) means the service
// must not start.
func Load(path string) (*Config, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot load service config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads the service's configuration from data; file names it in
// messages, and relative paths in it are resolved against file's
// directory. On error the warnings found so far are returned too.
func Parse(file string, data []byte) (*Config, []Warning, error) {
	root, errs := parseTree(file, data)
	if root == nil {
		return nil, nil, &ParseError{File: file, Errs: errs}
	}
	b := &binder{file: file, dir: filepath.Dir(file), root: root, env: os.LookupEnv, errs: errs}
	cfg := Default()
	cfg.File = file
	names := map[string]nameRef{}
	b.server(cfg)
	b.kayenta(cfg, names)
	b.ctl(cfg)
	b.warnUnused(root)
	sortWarnings(b.warns)
	if len(b.errs) > 0 {
		sortErrors(b.errs)
		return nil, b.warns, &ParseError{File: file, Errs: b.errs}
	}
	return cfg, b.warns, nil
}

// nameRef is where an account name was first used.
type nameRef struct {
	provider string
	line     int
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

func (b *binder) server(cfg *Config) {
	s := b.section(b.root, "server")
	if s == nil {
		return
	}
	b.intValue(s, "port", 0, 65535, "a port number from 0 to 65535", &cfg.Server.Port)
	if addr, c := b.str(s, "address"); c != nil && addr != "" {
		host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		if net.ParseIP(host) == nil && !hostnameRE.MatchString(host) {
			b.errorf(c.where(), c.path, "want an IP address or a host name to listen on, got %q", addr)
		} else {
			cfg.Server.Address = host
		}
	}
	if ssl := b.section(s, "ssl"); ssl != nil {
		var on bool
		if c := b.boolean(ssl, "enabled", &on); c != nil && on {
			b.errorf(c.where(), c.path, "TLS is not supported by this service: terminate TLS in front of it (an ingress or a proxy) and set server.ssl.enabled to false")
		}
	}
}

func (b *binder) kayenta(cfg *Config, names map[string]nameRef) {
	k := b.section(b.root, "kayenta")
	if k == nil {
		return
	}
	b.prometheus(k, cfg, names)
	b.aws(k, cfg, names)
	b.memory(k, cfg, names)
	b.local(k, cfg, names)
	for _, name := range unsupportedProviders {
		b.unsupported(k, name, names)
	}
	if rj := b.child(k, "remoteJudge"); rj != nil {
		if b.asMap(rj) {
			var on bool
			if c := b.boolean(rj, "enabled", &on); c != nil && on {
				b.warnf(c.keyPos(), rj.path, "remote judges are not supported by this service: the built-in NetflixACAJudge-v1.0 judges every analysis (ignored)")
			}
		}
		skipAll(rj)
	}
	if s := b.section(k, "standaloneCanaryAnalysis"); s != nil {
		b.boolean(s, "enabled", &cfg.StandaloneCanaryAnalysisEnabled)
	}
	if s := b.section(k, "default-archivers"); s != nil {
		b.boolean(s, "enabled", &cfg.DefaultArchiversEnabled)
	}
	if s := b.section(b.section(k, "disable"), "metricname"); s != nil {
		b.boolean(s, "validation", &cfg.DisableMetricNameValidation)
	}
	if r := b.section(b.section(k, "metrics"), "retry"); r != nil {
		b.retry(r, &cfg.MetricsRetry)
	}
}

// providerPos is where to point for a provider-wide message.
func providerPos(p, enabled *prop) *yaml.Node {
	if enabled != nil {
		return enabled.keyPos()
	}
	return p.pos
}

// accountItems returns the accounts of a provider that can be bound. For a
// provider that is not enabled the accounts are ignored, with a warning.
// A provider this service serves warns when it has none.
func (b *binder) accountItems(p *prop, provider string, on bool, en *prop, served bool) []*prop {
	c := b.child(p, "accounts")
	if c == nil {
		if on && served {
			b.warnf(providerPos(p, en), p.path, "%s is enabled but has no accounts", provider)
		}
		return nil
	}
	nerr := len(b.errs)
	items := b.list(c, "a list of accounts")
	if !on {
		if len(items) > 0 {
			b.warnf(c.pos, c.path, "%s.enabled is not true: its %d account(s) are ignored", p.path, len(items))
		}
		skipAll(c)
		return nil
	}
	if len(items) == 0 && len(b.errs) == nerr && served {
		b.warnf(c.pos, c.path, "%s is enabled but has no accounts", provider)
	}
	var out []*prop
	for _, it := range items {
		it.used = true
		switch {
		case len(it.dups) > 0:
			b.reportDups(it)
		case it.val != nil && !isNull(it.val):
			b.errorf(it.val, it.path, "want an account (a mapping with a name), got %s", kindName(it.val))
		case len(it.items) > 0:
			b.errorf(it.pos, it.path, "want an account (a mapping with a name), got a list")
		default:
			out = append(out, it)
		}
	}
	return out
}

// accountName reads an account's name, which must be set and unique
// across every provider.
func (b *binder) accountName(a *prop, provider string, names map[string]nameRef) string {
	c := b.child(a, "name")
	var name string
	var n *yaml.Node
	if c != nil {
		nerr := len(b.errs)
		name, n, _ = b.text(c, "an account name", false)
		if len(b.errs) > nerr {
			return ""
		}
	}
	if strings.TrimSpace(name) == "" {
		where := a.pos
		if c != nil {
			where = c.where()
		}
		b.errorf(where, joinPath(a.path, "name"), "missing account name: every account of an enabled provider needs a name")
		return ""
	}
	if first, dup := names[name]; dup {
		b.errorf(n, c.path, "duplicate account name %q: already used by the %s account at line %d (names must be unique across all providers)", name, first.provider, first.line)
		return name
	}
	names[name] = nameRef{provider: provider, line: n.Line}
	return name
}

// checkURL checks an http(s) URL; the problem it returns never shows a
// password that is in the URL.
func checkURL(s string) (*url.URL, string) {
	u, err := url.Parse(s)
	if err != nil {
		shown := fmt.Sprintf("%q", s)
		if strings.Contains(s, "@") {
			shown = "an invalid URL (not shown: it may hold credentials)"
		}
		return nil, "want an http:// or https:// URL, got " + shown
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Sprintf("want an http:// or https:// URL, got %q", u.Redacted())
	case u.Host == "":
		return nil, fmt.Sprintf("want an http:// or https:// URL with a host, got %q", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Sprintf("want a URL without a query or fragment, got %q", u.Redacted())
	}
	return u, ""
}

func (b *binder) prometheus(k *prop, cfg *Config, names map[string]nameRef) {
	p := b.section(k, "prometheus")
	if p == nil {
		return
	}
	pr := &cfg.Prometheus
	en := b.boolean(p, "enabled", &pr.Enabled)
	if label, c := b.str(p, "scopeLabel"); c != nil && c.val != nil && !isNull(c.val) {
		if !labelRE.MatchString(label) {
			b.errorf(c.where(), c.path, "want a Prometheus label name such as instance, got %q", label)
		} else {
			pr.ScopeLabel = label
		}
	}
	ms := pr.MetadataCachingInterval.Milliseconds()
	b.integer(p, "metadataCachingIntervalMS", 1, math.MaxInt64/int64(time.Millisecond), "a positive number of milliseconds", &ms)
	pr.MetadataCachingInterval = time.Duration(ms) * time.Millisecond
	if h := b.section(p, "health"); h != nil {
		b.boolean(h, "enabled", &pr.Health.Enabled)
		b.schedule(h, "initial-delay", &pr.Health.InitialDelay)
		b.schedule(h, "fixed-delay", &pr.Health.FixedDelay)
	}
	for _, a := range b.accountItems(p, "kayenta.prometheus", pr.Enabled, en, true) {
		nerr := len(b.errs)
		acct := b.prometheusAccount(a, names)
		if len(b.errs) == nerr {
			cfg.PrometheusAccounts = append(cfg.PrometheusAccounts, acct)
		}
	}
}

var labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// schedule reads a Spring @Scheduled delay: a duration, or a bare number
// of milliseconds.
func (b *binder) schedule(p *prop, key string, out *time.Duration) {
	c := b.child(p, key)
	if c == nil {
		return
	}
	if s, n, ok := b.text(c, "a duration", false); ok {
		if ms, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			if ms <= 0 {
				b.errorf(n, c.path, "want a positive duration such as PT2S or 2000 (milliseconds), got %q", s)
				return
			}
			*out = time.Duration(ms) * time.Millisecond
			return
		}
		d, err := parseDuration(s)
		if err != nil || d <= 0 {
			b.errorf(n, c.path, "want a positive duration such as PT2S or 2000 (milliseconds), got %q", s)
			return
		}
		*out = d
	}
}

func (b *binder) prometheusAccount(a *prop, names map[string]nameRef) PrometheusAccount {
	acct := PrometheusAccount{SupportedTypes: []SupportedType{MetricsStore}}
	acct.Name = b.accountName(a, "prometheus", names)

	var base string
	var baseProp, endpoint *prop
	nerr := len(b.errs)
	if endpoint = b.child(a, "endpoint"); endpoint != nil {
		e := endpoint
		if e.isLeaf() && e.val != nil && e.val.Kind == yaml.ScalarNode && !isNull(e.val) {
			e.used = true
			b.errorf(e.val, e.path, "want a mapping with baseUrl (write endpoint.baseUrl: URL), got %s", kindName(e.val))
		} else if b.asMap(e) {
			base, baseProp = b.str(e, "baseUrl")
		}
	}
	var u *url.URL
	switch {
	case len(b.errs) > nerr:
	case base != "":
		var problem string
		if u, problem = checkURL(base); problem != "" {
			b.errorf(baseProp.where(), baseProp.path, "%s", problem)
		}
	case baseProp != nil:
		b.errorf(baseProp.where(), baseProp.path, "missing: a prometheus account needs the URL of its Prometheus server")
	default:
		where, path := a.pos, joinPath(a.path, "endpoint.baseUrl")
		if endpoint != nil {
			where, path = endpoint.pos, joinPath(endpoint.path, "baseUrl")
		}
		b.errorf(where, path, "missing: a prometheus account needs the URL of its Prometheus server")
	}

	user, userP := b.str(a, "username")
	pass, passP := b.secret(a, "password")
	upf, upfNode, upfP := b.path(a, "usernamePasswordFile")
	tok, tokP := b.secret(a, "bearerToken")
	if types, typesP, ok := b.supportedTypes(a); ok && slices.ContainsFunc(types, func(t SupportedType) bool { return t != MetricsStore }) {
		b.warnf(typesP.keyPos(), typesP.path, "prometheus accounts serve METRICS_STORE only, as in Kayenta (other types ignored)")
	}
	ignored := func(by string, ps ...*prop) {
		for _, p := range ps {
			if p != nil && p.val != nil && !isNull(p.val) && !isEmpty(p.val) {
				b.warnf(p.keyPos(), p.path, "ignored: %s takes precedence, as in Kayenta", by)
			}
		}
	}
	switch {
	case upf != "":
		if u, p, ok := b.readCredentials(upf, upfNode, upfP.path); ok {
			acct.Username, acct.Password, acct.UsernamePasswordFile = u, p, upf
		}
		ignored("usernamePasswordFile", userP, passP, tokP)
	case tok != "":
		acct.BearerToken = tok
		ignored("bearerToken", userP, passP)
	case user != "" || pass != "":
		if user == "" && !present(userP) {
			b.errorf(passP.where(), joinPath(a.path, "username"), "a password needs a username: set username too")
		}
		if pass == "" && !present(passP) {
			b.errorf(userP.where(), joinPath(a.path, "password"), "a username needs a password: set password too, or use usernamePasswordFile")
		}
		acct.Username, acct.Password = user, pass
	}
	if u != nil {
		if u.User != nil {
			if acct.Username == "" && acct.Password == "" && acct.BearerToken == "" {
				acct.Username = u.User.Username()
				p, _ := u.User.Password()
				acct.Password = Secret(p)
			} else {
				b.warnf(baseProp.keyPos(), baseProp.path, "the credentials in this URL are ignored: the account's own credentials take precedence")
			}
			u.User = nil
		}
		acct.BaseURL = strings.TrimRight(u.String(), "/")
	}
	return acct
}

// readCredentials reads a usernamePasswordFile: "username:password",
// trimmed, as Kayenta reads it. Its contents never go in a message.
func (b *binder) readCredentials(path string, n *yaml.Node, key string) (string, Secret, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.errorf(n, key, "cannot read usernamePasswordFile: %v", pathError(err))
		return "", "", false
	}
	content := strings.TrimSpace(string(data))
	if content == "" {
		b.errorf(n, key, "usernamePasswordFile %s is empty: want username:password", path)
		return "", "", false
	}
	user, pass, ok := strings.Cut(content, ":")
	if !ok {
		b.errorf(n, key, "usernamePasswordFile %s holds no ':': want username:password", path)
		return "", "", false
	}
	return user, Secret(pass), true
}

// pathError keeps an *os.PathError's operation, path and cause: nothing
// read from the file.
func pathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s %s: %w", pe.Op, pe.Path, pe.Err)
	}
	return err
}

func (b *binder) aws(k *prop, cfg *Config, names map[string]nameRef) {
	var s3en *prop
	if s3 := b.section(k, "s3"); s3 != nil {
		s3en = b.boolean(s3, "enabled", &cfg.S3Enabled)
	}
	p := b.section(k, "aws")
	var en *prop
	if p != nil {
		en = b.boolean(p, "enabled", &cfg.AWSEnabled)
	}
	if cfg.S3Enabled && !cfg.AWSEnabled {
		b.warnf(s3en.keyPos(), s3en.path, "has no effect: kayenta.aws.enabled is not true, so there are no S3 accounts")
	}
	if p == nil {
		return
	}
	for _, a := range b.accountItems(p, "kayenta.aws", cfg.AWSEnabled, en, true) {
		nerr := len(b.errs)
		acct := b.awsAccount(a, cfg.S3Enabled, names)
		if len(b.errs) > nerr {
			continue
		}
		cfg.awsAccounts = append(cfg.awsAccounts, acct)
		if cfg.S3Enabled && Has(acct.SupportedTypes, ObjectStore) {
			cfg.S3Accounts = append(cfg.S3Accounts, acct)
		}
	}
}

func (b *binder) awsAccount(a *prop, s3 bool, names map[string]nameRef) S3Account {
	acct := S3Account{RootFolder: DefaultRootFolder}
	acct.Name = b.accountName(a, "aws", names)
	var bucketP, rootP *prop
	acct.Bucket, bucketP = b.str(a, "bucket")
	acct.Region, _ = b.str(a, "region")
	if c := b.child(a, "rootFolder"); c != nil {
		if s, _, ok := b.text(c, "a key prefix", false); ok {
			acct.RootFolder, rootP = s, c
		}
	}
	acct.ProfileName, _ = b.str(a, "profileName")
	if ep, c := b.str(a, "endpoint"); ep != "" {
		full := ep
		if !strings.Contains(ep, "://") {
			full = "https://" + ep
		}
		if u, problem := checkURL(full); problem != "" {
			b.errorf(c.where(), c.path, "%s", problem)
		} else {
			acct.Endpoint = strings.TrimRight(u.String(), "/")
		}
	}
	for _, key := range []string{"proxyHost", "proxyPort", "proxyProtocol"} {
		if c := b.child(a, key); c != nil {
			c.used = true
			skipAll(c)
			b.warnf(c.keyPos(), c.path, "not supported by this service: the S3 client does not use a per-account proxy (set HTTPS_PROXY in the service's environment instead); ignored")
		}
	}
	acct.Credentials = b.awsCredentials(a)

	types, typesP, ok := b.supportedTypes(a)
	if !ok {
		types = []SupportedType{}
	}
	acct.SupportedTypes = types
	switch {
	case Has(types, ObjectStore) && s3:
		switch {
		case acct.Bucket == "":
			where := a.pos
			if bucketP != nil {
				where = bucketP.where()
			}
			b.errorf(where, joinPath(a.path, "bucket"), "missing: an aws account with OBJECT_STORE needs a bucket when kayenta.s3.enabled is true")
		case strings.ContainsAny(acct.Bucket, "/ \t"):
			b.errorf(bucketP.where(), bucketP.path, "%q is not a bucket name (no '/' or spaces): put a key prefix in rootFolder", acct.Bucket)
		}
		if acct.RootFolder == "" {
			b.errorf(rootP.where(), rootP.path, "an aws account with OBJECT_STORE needs a rootFolder (the default is %s)", DefaultRootFolder)
		}
	case Has(types, ObjectStore):
		pos, path := typesAt(a, typesP)
		b.warnf(pos, path, "OBJECT_STORE is not served: kayenta.s3.enabled is not true")
	case Has(types, ConfigurationStore) && s3:
		pos, path := typesAt(a, typesP)
		b.warnf(pos, path, "CONFIGURATION_STORE without OBJECT_STORE is not served: S3 serves accounts with OBJECT_STORE")
	}
	if Has(types, MetricsStore) {
		pos, path := typesAt(a, typesP)
		b.warnf(pos, path, "aws accounts serve no metrics: METRICS_STORE ignored")
	}
	return acct
}

// awsCredentials reads explicitCredentials or Halyard's accessKeyId and
// secretAccessKey (Halyard writes its aws accounts into kayenta.yml as
// they are). Either form needs both the key id and the secret.
func (b *binder) awsCredentials(a *prop) *AWSCredentials {
	var ec, akP, skP, idP, sakP *prop
	var ak, id string
	var sk, st, sak Secret
	if ec = b.child(a, "explicitCredentials"); ec != nil {
		if b.asMap(ec) {
			ak, akP = b.str(ec, "accessKey")
			sk, skP = b.secret(ec, "secretKey")
			st, _ = b.secret(ec, "sessionToken")
		}
	}
	id, idP = b.str(a, "accessKeyId")
	sak, sakP = b.secret(a, "secretAccessKey")
	explicit := ak != "" || sk != "" || st != ""
	halyard := id != "" || sak != ""
	switch {
	case explicit && halyard:
		at := idP
		if at == nil {
			at = sakP
		}
		b.errorf(at.keyPos(), at.path, "set either explicitCredentials or Halyard's accessKeyId and secretAccessKey, not both")
		return nil
	case explicit:
		if ak == "" && !present(akP) {
			b.errorf(whereOr(akP, ec), joinPath(ec.path, "accessKey"), "missing: explicitCredentials need an accessKey")
		}
		if sk == "" && !present(skP) {
			b.errorf(whereOr(skP, ec), joinPath(ec.path, "secretKey"), "missing: explicitCredentials need a secretKey")
		}
		return &AWSCredentials{AccessKey: ak, SecretKey: sk, SessionToken: st}
	case halyard:
		if id == "" && !present(idP) {
			b.errorf(whereOr(idP, sakP), joinPath(a.path, "accessKeyId"), "missing: secretAccessKey needs an accessKeyId")
		}
		if sak == "" && !present(sakP) {
			b.errorf(whereOr(sakP, idP), joinPath(a.path, "secretAccessKey"), "missing: accessKeyId needs a secretAccessKey")
		}
		return &AWSCredentials{AccessKey: id, SecretKey: sak}
	}
	return nil
}

// whereOr points at p's value, or else at q's key.
func whereOr(p, q *prop) *yaml.Node {
	if p != nil {
		return p.where()
	}
	return q.keyPos()
}

func (b *binder) memory(k *prop, cfg *Config, names map[string]nameRef) {
	p := b.section(k, "memory")
	if p == nil {
		return
	}
	en := b.boolean(p, "enabled", &cfg.MemoryEnabled)
	for _, a := range b.accountItems(p, "kayenta.memory", cfg.MemoryEnabled, en, true) {
		nerr := len(b.errs)
		acct := MemoryAccount{Name: b.accountName(a, "memory", names)}
		terr := len(b.errs)
		types, typesP, ok := b.supportedTypes(a)
		if (!ok || len(types) == 0) && len(b.errs) == terr {
			pos, path := typesAt(a, typesP)
			b.warnf(pos, path, "no supportedTypes: this account serves nothing (add supportedTypes: [OBJECT_STORE, CONFIGURATION_STORE])")
			types = []SupportedType{}
		}
		acct.SupportedTypes = b.storeTypes(types, typesP)
		if len(b.errs) == nerr {
			cfg.MemoryAccounts = append(cfg.MemoryAccounts, acct)
		}
	}
}

// typesAt is where to point for a message about account a's
// supportedTypes (typesP, nil when absent).
func typesAt(a, typesP *prop) (*yaml.Node, string) {
	if typesP != nil {
		return typesP.keyPos(), typesP.path
	}
	return a.pos, joinPath(a.path, "supportedTypes")
}

// storeTypes warns about types an object-store account does not serve.
func (b *binder) storeTypes(types []SupportedType, typesP *prop) []SupportedType {
	if typesP == nil {
		return types
	}
	if Has(types, MetricsStore) {
		b.warnf(typesP.keyPos(), typesP.path, "object stores serve no metrics: METRICS_STORE ignored")
	}
	if Has(types, ConfigurationStore) && !Has(types, ObjectStore) {
		b.warnf(typesP.keyPos(), typesP.path, "CONFIGURATION_STORE without OBJECT_STORE is not served: add OBJECT_STORE")
	}
	return types
}

func (b *binder) local(k *prop, cfg *Config, names map[string]nameRef) {
	p := b.section(k, "local")
	if p == nil {
		return
	}
	en := b.boolean(p, "enabled", &cfg.LocalEnabled)
	for _, a := range b.accountItems(p, "kayenta.local", cfg.LocalEnabled, en, true) {
		nerr := len(b.errs)
		acct := LocalAccount{Name: b.accountName(a, "local", names)}
		perr := len(b.errs)
		dir, n, c := b.path(a, "rootDirectory")
		switch {
		case dir == "" && len(b.errs) == perr:
			where := a.pos
			if c != nil {
				where = c.where()
			}
			b.errorf(where, joinPath(a.path, "rootDirectory"), "missing: a local account needs the directory it stores objects in")
		case dir != "":
			if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
				b.errorf(n, c.path, "%s is not a directory", dir)
			}
			acct.RootDirectory = dir
		}
		types, typesP, ok := b.supportedTypes(a)
		if !ok {
			types = []SupportedType{ObjectStore, ConfigurationStore}
		}
		acct.SupportedTypes = b.storeTypes(types, typesP)
		if len(b.errs) == nerr {
			cfg.LocalAccounts = append(cfg.LocalAccounts, acct)
		}
	}
}

// unsupportedProviders are Kayenta's providers this service does not serve.
var unsupportedProviders = []string{
	"google", "gcs", "stackdriver", "datadog", "signalfx", "newrelic",
	"atlas", "azure", "graphite", "influxdb", "wavefront", "blobs", "configbin",
}

// unsupported reads a provider this service does not serve: its enabled
// flag and its account names (which still must be set and unique when it
// is enabled); the rest of its section is accounted for by one warning.
func (b *binder) unsupported(k *prop, name string, names map[string]nameRef) {
	p := b.child(k, name)
	if p == nil {
		return
	}
	defer skipAll(p)
	if !b.asMap(p) {
		return
	}
	var on bool
	en := b.boolean(p, "enabled", &on)
	items := b.accountItems(p, "kayenta."+name, on, en, false)
	if !on {
		return
	}
	var listed []string
	for _, a := range items {
		if n := b.accountName(a, name, names); n != "" {
			listed = append(listed, n)
		}
	}
	msg := fmt.Sprintf("%s is not supported by this service; accounts ignored", name)
	if len(listed) > 0 {
		msg += " (" + strings.Join(listed, ", ") + ")"
	}
	b.warnf(providerPos(p, en), p.path, "%s", msg)
}

func (b *binder) retry(r *prop, out *MetricsRetry) {
	b.intValue(r, "attempts", 0, math.MaxInt32, "a whole number of attempts, 0 or more", &out.Attempts)
	b.integer(r, "backoffPeriodMultiplierMs", 0, math.MaxInt64/int64(time.Millisecond), "a whole number of milliseconds, 0 or more", &out.BackoffPeriodMultiplierMs)
	if vals, _, ok := b.stringList(r, "series", "a list of status series such as SERVER_ERROR"); ok {
		out.Series = enumValues(b, vals, parseSeries, "unknown status series %q (want INFORMATIONAL, SUCCESSFUL, REDIRECTION, CLIENT_ERROR or SERVER_ERROR)")
		slices.Sort(out.Series)
	}
	if vals, _, ok := b.stringList(r, "statuses", "a list of HTTP statuses such as TOO_MANY_REQUESTS"); ok {
		out.Statuses = enumValues(b, vals, parseStatus, "unknown HTTP status %q (want a name such as TOO_MANY_REQUESTS or a code such as 429)")
		slices.Sort(out.Statuses)
	}
}

func (b *binder) ctl(cfg *Config) {
	c := b.section(b.root, "ctl")
	if c == nil {
		return
	}
	if e := b.section(c, "executions"); e != nil {
		x := &cfg.Executions
		b.intValue(e, "maxConcurrent", 1, math.MaxInt32, "a whole number, 1 or more", &x.MaxConcurrent)
		b.intValue(e, "fetchConcurrency", 1, math.MaxInt32, "a whole number, 1 or more", &x.FetchConcurrency)
		b.duration(e, "fetchTimeout", &x.FetchTimeout)
		b.duration(e, "leaseTTL", &x.LeaseTTL)
	}
	if a := b.section(c, "auth"); a != nil {
		if path, n, p := b.path(a, "tokenFile"); path != "" {
			if b.checkTokenFile(path, n, p.path) {
				cfg.Auth.TokenFile = path
			}
		}
	}
	if l := b.section(c, "limits"); l != nil {
		if p := b.child(l, "maxRequestBytes"); p != nil {
			const want = "a positive size in bytes, such as 10485760 or 10MiB"
			if s, n, ok := b.text(p, want, false); ok {
				v, err := parseSize(s)
				if err != nil || v <= 0 {
					b.errorf(n, p.path, "want %s, got %q", want, s)
				} else {
					cfg.Limits.MaxRequestBytes = v
				}
			}
		}
	}
}

// checkTokenFile checks that the API token file can be read and is not
// empty, and warns when others may read it. Its contents never go in a
// message.
func (b *binder) checkTokenFile(path string, n *yaml.Node, key string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		b.errorf(n, key, "cannot read tokenFile: %v", pathError(err))
		return false
	}
	if strings.TrimSpace(string(data)) == "" {
		b.errorf(n, key, "tokenFile %s is empty: want the API token", path)
		return false
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		b.warnf(n, key, "tokenFile %s can be read by other users (mode %04o): chmod 600 it", path, fi.Mode().Perm())
	}
	return true
}
