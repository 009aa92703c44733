package halconfig

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/kayenta/config/yamlpos"
)

// FieldError is a problem in a config file, with its position; Path is
// the field path, such as deploymentConfigurations[0].canary.enabled.
type FieldError = yamlpos.FieldError

// ParseError holds every problem found while reading a config file.
type ParseError struct {
	File string
	Errs []*FieldError
}

func (e *ParseError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		msgs[i] = fe.Error()
	}
	return fmt.Sprintf("cannot read config %s (fix the file, or restore a backup):\n  %s", e.File, strings.Join(msgs, "\n  "))
}

// VersionError says the file was written by a ctl with a schema this one does not read.
type VersionError struct {
	File, Version string
}

func (e *VersionError) Error() string {
	known := strings.Join(KnownVersions(), ", ")
	if !strings.HasPrefix(e.Version, "ctl/v") {
		return fmt.Sprintf("%s: apiVersion %q is not a ctl schema version (this ctl reads %s): fix the apiVersion line", e.File, e.Version, known)
	}
	return fmt.Sprintf("%s: apiVersion %q is not a schema this ctl knows (it reads %s); it was written by a newer ctl: upgrade ctl to a release that reads %s",
		e.File, e.Version, known, e.Version)
}

// ErrHalyardFile is returned for a Halyard config given where a ctl config is expected.
var ErrHalyardFile = errors.New("this is a Halyard config, not a ctl config: import it with `ctl config import --halconfig PATH`")

type decoder struct {
	file string
	errs []*FieldError
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, yamlpos.Errorf(d.file, n, path, format, args...))
}

func (d *decoder) unknown(kn *yaml.Node, path, key string, known []string) {
	d.errorf(kn, path, "unknown field %q (known fields: %s)", key, strings.Join(known, ", "))
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return &ParseError{File: d.file, Errs: d.errs}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if isNull(n) {
		return "null"
	}
	return fmt.Sprintf("%q", n.Value)
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// eachKey calls fn for each key of a mapping, reporting duplicate keys.
func (d *decoder) eachKey(m *yaml.Node, path string, fn func(k string, kn, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, v := m.Content[i], m.Content[i+1]
		if line, dup := seen[kn.Value]; dup {
			d.errorf(kn, path, "field %q appears twice (first at line %d)", kn.Value, line)
			continue
		}
		seen[kn.Value] = kn.Line
		fn(kn.Value, kn, v)
	}
}

func (d *decoder) decodeBool(n *yaml.Node, path string, out *bool) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			*out = b
			return true
		}
	}
	d.errorf(n, path, "want true or false, got %s", kindName(n))
	return false
}

func (d *decoder) decodeInt(n *yaml.Node, path string, out *int64) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			*out = i
			return true
		}
	}
	d.errorf(n, path, "want a whole number, got %s", kindName(n))
	return false
}

func (d *decoder) decodeString(n *yaml.Node, path string, out *string) bool {
	if isNull(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "want a string, got %s", kindName(n))
		return false
	}
	*out = n.Value
	return true
}

var integrationType = reflect.TypeFor[*ServiceIntegration]()

// decodeValue decodes n into v (a settable value) by reflection over yaml
// tags, rejecting unknown keys and wrong types with their positions.
func (d *decoder) decodeValue(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.Type() == integrationType {
		if si := d.decodeIntegration(n, path); si != nil {
			v.Set(reflect.ValueOf(si))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, path, v.Elem())
	case reflect.Struct:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a mapping, got %s", kindName(n))
			return
		}
		fields, names := yamlFields(v.Type())
		d.eachKey(n, path, func(k string, kn, val *yaml.Node) {
			idx, ok := fields[k]
			if !ok {
				d.unknown(kn, path, k, names)
				return
			}
			d.decodeValue(val, joinPath(path, k), v.Field(idx))
		})
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
		for i, en := range n.Content {
			ev := reflect.New(v.Type().Elem()).Elem()
			if ev.Type() == reflect.TypeFor[*DeploymentConfiguration]() {
				ev.Set(reflect.ValueOf(NewDeployment("")))
			}
			d.decodeValue(en, fmt.Sprintf("%s[%d]", path, i), ev)
			if !ev.IsZero() {
				s = reflect.Append(s, ev)
			}
		}
		v.Set(s)
	case reflect.String:
		var s string
		if d.decodeString(n, path, &s) {
			v.SetString(s)
		}
	case reflect.Bool:
		var b bool
		if d.decodeBool(n, path, &b) {
			v.SetBool(b)
		}
	default:
		panic(fmt.Sprintf("halconfig: no decoder for %s", v.Type()))
	}
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// yamlFields maps yaml key names to struct field indexes.
func yamlFields(t reflect.Type) (map[string]int, []string) {
	m := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		m[tag] = i
		names = append(names, tag)
	}
	return m, names
}

// Parse reads a config file's bytes: it finds the schema version, migrates
// an older schema, and decodes strictly. file names the source in errors.
// The returned version is the schema version the bytes were written in.
func Parse(file string, data []byte) (*Halconfig, string, error) {
	doc, extra, serr := yamlpos.Decode(file, data)
	if serr != nil {
		return nil, "", &ParseError{File: file, Errs: []*FieldError{serr}}
	}
	if extra != nil {
		return nil, "", &ParseError{File: file, Errs: []*FieldError{yamlpos.Errorf(file, extra, "",
			"a second YAML document: a config file holds exactly one (remove the extra ---)")}}
	}
	if doc == nil || len(doc.Content) == 0 {
		return NewConfig(), APIVersion, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, "", &ParseError{File: file, Errs: []*FieldError{{File: file, Line: root.Line, Column: root.Column,
			Msg: "want a mapping with apiVersion, kind, currentDeployment and deploymentConfigurations, got " + kindName(root)}}}
	}
	vn := lookup(root, "apiVersion")
	if vn == nil {
		if lookup(root, "deploymentConfigurations") != nil {
			return nil, "", fmt.Errorf("%s: %w", file, ErrHalyardFile)
		}
		return nil, "", &ParseError{File: file, Errs: []*FieldError{{File: file, Line: root.Line, Column: root.Column,
			Msg: fmt.Sprintf("missing apiVersion (this ctl writes apiVersion: %s)", APIVersion)}}}
	}
	version := vn.Value
	if err := migrate(root, version); err != nil {
		if errors.Is(err, errUnknownVersion) {
			return nil, "", &VersionError{File: file, Version: version}
		}
		return nil, "", fmt.Errorf("%s: migrating from %s: %w", file, version, err)
	}
	d := &decoder{file: file}
	cfg := &Halconfig{}
	d.decodeValue(root, "", reflect.ValueOf(cfg).Elem())
	if k := lookup(root, "kind"); k != nil && k.Value != Kind {
		d.errorf(k, "kind", "want %q, got %q", Kind, k.Value)
	}
	d.checkStructure(root, cfg)
	if err := d.err(); err != nil {
		return nil, "", err
	}
	cfg.Normalize()
	return cfg, version, nil
}

// checkStructure reports problems that make the file unusable, as opposed to
// validation problems (Validate) that only block a deploy.
func (d *decoder) checkStructure(root *yaml.Node, cfg *Halconfig) {
	deps := lookup(root, "deploymentConfigurations")
	seen := map[string]bool{}
	for i, dc := range cfg.DeploymentConfigurations {
		path := fmt.Sprintf("deploymentConfigurations[%d]", i)
		var n *yaml.Node
		if deps != nil && i < len(deps.Content) {
			n = deps.Content[i]
		}
		nameNode := n
		if nn := lookup(n, "name"); nn != nil {
			nameNode = nn
		}
		if dc.Name == "" {
			d.errorf(n, path+".name", "deployment name must be specified")
		} else if !deploymentNameRE.MatchString(dc.Name) {
			d.errorf(nameNode, path+".name", "deployment name %q must match %s", dc.Name, deploymentNameRE)
		} else if seen[dc.Name] {
			d.errorf(nameNode, path+".name", "deployment %q appears more than once", dc.Name)
		}
		seen[dc.Name] = true
		d.duplicateIntegrations(lookup(n, "canary"), path+".canary")
	}
	switch {
	case len(cfg.DeploymentConfigurations) == 0:
		n := lookup(root, "deploymentConfigurations")
		if n == nil {
			n = root
		} else if n.Kind != yaml.SequenceNode && !isNull(n) {
			return // not a list: already reported
		}
		d.errorf(n, "deploymentConfigurations", "no deployments (add one: `- name: %s`)", DefaultDeployment)
	case cfg.CurrentDeployment == "":
		n := lookup(root, "currentDeployment")
		if n == nil {
			n = root
		}
		d.errorf(n, "currentDeployment", "missing (have %s)", strings.Join(cfg.DeploymentNames(), ", "))
	case cfg.Deployment(cfg.CurrentDeployment) == nil:
		d.errorf(lookup(root, "currentDeployment"), "currentDeployment", "deployment %q does not exist (have %s)", cfg.CurrentDeployment, strings.Join(cfg.DeploymentNames(), ", "))
	}
}

// duplicateIntegrations reports an integration listed twice in a canary
// section, at the second entry's name.
func (d *decoder) duplicateIntegrations(canary *yaml.Node, path string) {
	seq := lookup(canary, "serviceIntegrations")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	first := map[string]int{}
	for _, e := range seq.Content {
		nn := lookup(e, "name")
		if nn == nil || nn.Kind != yaml.ScalarNode {
			continue
		}
		if line, dup := first[nn.Value]; dup {
			d.errorf(nn, path+".serviceIntegrations", "integration %q appears more than once (first at line %d)", nn.Value, line)
			continue
		}
		first[nn.Value] = nn.Line
	}
}

var deploymentNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$`)

// ValidDeploymentName reports whether name can name a deployment (it is also a folder name).
func ValidDeploymentName(name string) bool { return deploymentNameRE.MatchString(name) }

// Marshal writes the config as YAML.
func Marshal(cfg *Halconfig) ([]byte, error) {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(cfg); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// KnownVersions lists the schema versions this ctl reads, oldest first.
func KnownVersions() []string {
	out := make([]string, 0, len(migrations)+1)
	for _, m := range migrations {
		out = append(out, m.from)
	}
	return append(out, APIVersion)
}
