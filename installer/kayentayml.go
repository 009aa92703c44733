// Package installer turns a deployment's config into what runs: the
// analysis service's kayenta.yml and Helm chart values, installed into
// Kubernetes with the Helm SDK (distributed, by installer/kube, which only
// ctl-kube links) or run as a supervised local process (local). It never
// edits the config.
package installer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/halconfig"
)

// ServicePort is the analysis service's port (Halyard's Kayenta default).
const ServicePort = 8090

// FilesMountDir is where credential files are mounted in the pod.
const FilesMountDir = "/etc/kayenta/files"

// Generated is the service configuration made from one deployment.
type Generated struct {
	// KayentaYML is the kayenta.yml, with profiles/kayenta-local.yml merged in.
	KayentaYML []byte
	// Files are the local files the config points to (usernamePasswordFile,
	// jsonPath), keyed by the name they get under FilesMountDir (distributed
	// mode only; local mode reads them in place).
	Files map[string][]byte
}

// Mode says where the service will run.
type Mode int

const (
	// Local runs the service on this machine: paths stay as they are and
	// results go to a folder under the deployment's folder.
	LocalMode Mode = iota
	// Distributed runs it in Kubernetes: files are shipped in the Secret.
	DistributedMode
)

// Generate maps the deployment's canary section to kayenta.yml as Halyard's
// KayentaProfileFactory does (halyard.md §5): each integration becomes
// kayenta.<name>.{enabled,accounts}, accounts are written with every field,
// aws.s3Enabled becomes kayenta.s3.enabled, google's gcsEnabled and
// stackdriverEnabled become kayenta.gcs/stackdriver. With no object store
// configured, local mode adds a local-folder store (dataDir) so results
// survive restarts. home is $CTL_HOME, for profiles/kayenta-local.yml.
func Generate(d *halconfig.DeploymentConfiguration, home string, mode Mode, dataDir string) (*Generated, error) {
	return generate(d, home, mode, dataDir, "")
}

// SmokeMetricsAccount is the prometheus account a local deployment adds for
// the embedded Prometheus of `ctl canary smoke` (smoke.MetricsAccount).
const SmokeMetricsAccount = "ctl-smoke-prometheus"

// generate is Generate; a non-empty smokeBaseURL adds the prometheus account
// SmokeMetricsAccount with that baseUrl after every other prometheus account
// (profile included), so the default metrics account does not change, and
// enables kayenta.prometheus.
func generate(d *halconfig.DeploymentConfiguration, home string, mode Mode, dataDir, smokeBaseURL string) (*Generated, error) {
	g := &Generated{Files: map[string][]byte{}}
	c := &d.Canary
	k := mapping()
	hasStore := false
	for _, si := range c.ServiceIntegrations {
		p := si.Provider()
		sec := mapping()
		add(sec, "enabled", boolNode(si.Enabled))
		if si.MetadataCachingIntervalMS != nil && si.Name != "datadog" && si.Name != "google" {
			add(sec, "metadataCachingIntervalMS", intNode(*si.MetadataCachingIntervalMS))
		}
		accts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, a := range si.Accounts {
			a = a.Clone()
			for _, f := range p.Fields {
				v := a.Get(f.Key)
				if !f.LocalFile || v == "" || mode == LocalMode {
					continue
				}
				data, err := os.ReadFile(v)
				if err != nil {
					return nil, fmt.Errorf("%s account %s: %s: %w", si.Name, a.Name, f.Key, err)
				}
				sum := sha256.Sum256(data)
				name := hex.EncodeToString(sum[:4]) + "-" + filepath.Base(v)
				g.Files[name] = data
				a.Set(f.Key, path.Join(FilesMountDir, name))
			}
			n, err := halconfig.AccountView{Provider: p, Account: a}.MarshalYAML()
			if err != nil {
				return nil, err
			}
			accts.Content = append(accts.Content, n.(*yaml.Node))
			if si.Enabled && a.Supports(halconfig.ObjectStore) {
				hasStore = true
			}
		}
		if len(accts.Content) == 0 {
			accts.Style = yaml.FlowStyle
		}
		add(sec, "accounts", accts)
		add(k, si.Name, sec)
		switch si.Name {
		case "aws":
			add(k, "s3", kv("enabled", boolNode(si.Enabled && si.S3Enabled)))
		case "google":
			add(k, "gcs", kv("enabled", boolNode(si.Enabled && si.GCSEnabled)))
			st := kv("enabled", boolNode(si.Enabled && si.StackdriverEnabled))
			if si.MetadataCachingIntervalMS != nil {
				add(st, "metadataCachingIntervalMS", intNode(*si.MetadataCachingIntervalMS))
			}
			add(k, "stackdriver", st)
		}
	}
	if !hasStore && mode == LocalMode {
		add(k, "local", kv("enabled", boolNode(true), "accounts", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq",
			Content: []*yaml.Node{kv("name", str("local-store"), "rootDirectory", str(dataDir),
				"supportedTypes", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle,
					Content: []*yaml.Node{str("OBJECT_STORE"), str("CONFIGURATION_STORE")}})}}))
	}
	add(k, "standaloneCanaryAnalysis", kv("enabled", boolNode(true)))
	root := kv("server", kv("port", intNode(ServicePort), "address", str("0.0.0.0")), "kayenta", k)

	if profile, err := os.ReadFile(filepath.Join(home, d.Name, "profiles", "kayenta-local.yml")); err == nil {
		var doc yaml.Node
		if err := yaml.Unmarshal(profile, &doc); err != nil {
			return nil, fmt.Errorf("%s/profiles/kayenta-local.yml: %v", d.Name, err)
		}
		if len(doc.Content) > 0 {
			if doc.Content[0].Kind != yaml.MappingNode {
				return nil, fmt.Errorf("%s/profiles/kayenta-local.yml: want a mapping at the top", d.Name)
			}
			merge(root, doc.Content[0])
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	if smokeBaseURL != "" {
		addSmokeAccount(root, smokeBaseURL)
	}
	var b bytes.Buffer
	b.WriteString("## WARNING\n## This file was generated by ctl from the deployment " + d.Name + " and will be overwritten\n" +
		"## by `ctl deploy apply`. Change the ctl config, or put overrides in\n## $CTL_HOME/" + d.Name + "/profiles/kayenta-local.yml.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	g.KayentaYML = b.Bytes()
	return g, nil
}

// addSmokeAccount appends the smoke metrics account to
// kayenta.prometheus.accounts in root and enables kayenta.prometheus.
func addSmokeAccount(root *yaml.Node, baseURL string) {
	k := child(root, "kayenta")
	prom := child(k, "prometheus")
	if en := lookup(prom, "enabled"); en != nil {
		*en = *boolNode(true)
	} else {
		add(prom, "enabled", boolNode(true))
	}
	accts := lookup(prom, "accounts")
	if accts == nil || accts.Kind != yaml.SequenceNode {
		accts = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		set(prom, "accounts", accts)
	}
	accts.Style = 0
	accts.Content = append(accts.Content, kv("name", str(SmokeMetricsAccount), "endpoint", kv("baseUrl", str(baseURL)),
		"supportedTypes", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{str("METRICS_STORE")}}))
}

// lookup returns the value of key in mapping m (nil when absent).
func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// child returns the mapping under key in m, adding (or replacing a
// non-mapping with) an empty one.
func child(m *yaml.Node, key string) *yaml.Node {
	if v := lookup(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	v := mapping()
	set(m, key, v)
	return v
}

// set sets key in mapping m to v.
func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	add(m, key, v)
}

// merge deep-merges src into dst: mappings merge key by key, anything else
// (lists included) is replaced, as Spring profiles override.
func merge(dst, src *yaml.Node) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		key, val := src.Content[i], src.Content[i+1]
		found := false
		for j := 0; j+1 < len(dst.Content); j += 2 {
			if dst.Content[j].Value == key.Value {
				found = true
				if dst.Content[j+1].Kind == yaml.MappingNode && val.Kind == yaml.MappingNode {
					merge(dst.Content[j+1], val)
				} else {
					dst.Content[j+1] = val
				}
			}
		}
		if !found {
			dst.Content = append(dst.Content, key, val)
		}
	}
}

func mapping() *yaml.Node     { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}
func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}
func add(m *yaml.Node, k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }

func kv(pairs ...any) *yaml.Node {
	m := mapping()
	for i := 0; i+1 < len(pairs); i += 2 {
		add(m, pairs[i].(string), pairs[i+1].(*yaml.Node))
	}
	return m
}
