package halconfig

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// The YAML shape of integrations and accounts depends on the provider, so it
// is written and read here from the provider descriptions.

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}
func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}
func mapping() *yaml.Node                          { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func addPair(m *yaml.Node, k string, v *yaml.Node) { m.Content = append(m.Content, scalar(k), v) }

// MarshalYAML writes the integration in Halyard's field order.
func (si *ServiceIntegration) MarshalYAML() (any, error) {
	p, err := LookupProvider(si.Name)
	if err != nil {
		return nil, err
	}
	m := mapping()
	addPair(m, "name", scalar(si.Name))
	addPair(m, "enabled", boolNode(si.Enabled))
	accts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if len(si.Accounts) == 0 {
		accts.Style = yaml.FlowStyle
	}
	for _, a := range si.Accounts {
		accts.Content = append(accts.Content, a.node(p))
	}
	addPair(m, "accounts", accts)
	for _, s := range p.Settings {
		switch s.Kind {
		case BoolSetting:
			addPair(m, s.Key, boolNode(si.Bool(s.Key)))
		case IntSetting:
			if si.MetadataCachingIntervalMS != nil {
				addPair(m, s.Key, intNode(*si.MetadataCachingIntervalMS))
			}
		}
	}
	return m, nil
}

// node writes the account: name, the provider's fields in order (dotted keys
// nested), then supportedTypes.
func (a *Account) node(p *Provider) *yaml.Node {
	m := mapping()
	addPair(m, "name", scalar(a.Name))
	for _, f := range p.Fields {
		v, ok := a.Values[f.Key]
		if !ok {
			continue
		}
		parts := splitKey(f.Key)
		cur := m
		for _, part := range parts[:len(parts)-1] {
			cur = childMapping(cur, part)
		}
		addPair(cur, parts[len(parts)-1], scalar(v))
	}
	types := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if len(a.SupportedTypes) == 0 {
		types.Style = yaml.FlowStyle
	}
	for _, t := range a.SupportedTypes {
		types.Content = append(types.Content, scalar(string(t)))
	}
	addPair(m, "supportedTypes", types)
	return m
}

func childMapping(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	c := mapping()
	addPair(m, key, c)
	return c
}

// decodeIntegration reads one serviceIntegrations entry, reporting every
// problem with its position.
func (d *decoder) decodeIntegration(n *yaml.Node, path string) *ServiceIntegration {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping with name, enabled and accounts, got %s", kindName(n))
		return nil
	}
	nameNode := lookup(n, "name")
	if nameNode == nil {
		d.errorf(n, path, "missing name (want one of %v)", ProviderNames())
		return nil
	}
	p, err := LookupProvider(nameNode.Value)
	if err != nil {
		d.errorf(nameNode, path+".name", "%v", err)
		return nil
	}
	si := &ServiceIntegration{Name: p.Name}
	d.eachKey(n, path, func(k string, kn, v *yaml.Node) {
		fp := path + "." + k
		switch k {
		case "name":
		case "enabled":
			d.decodeBool(v, fp, &si.Enabled)
		case "accounts":
			if isNull(v) {
				return
			}
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, fp, "want a list of accounts, got %s", kindName(v))
				return
			}
			for i, an := range v.Content {
				if a := d.decodeAccount(p, an, fmt.Sprintf("%s[%d]", fp, i)); a != nil {
					si.Accounts = append(si.Accounts, a)
				}
			}
		default:
			s, ok := p.Setting(k)
			if !ok {
				d.unknown(kn, path, k, settingKeys(p))
				return
			}
			switch s.Kind {
			case BoolSetting:
				d.decodeBool(v, fp, si.boolSetting(k))
			case IntSetting:
				var i int64
				if d.decodeInt(v, fp, &i) {
					si.MetadataCachingIntervalMS = &i
				}
			}
		}
	})
	return si
}

func settingKeys(p *Provider) []string {
	keys := []string{"name", "enabled", "accounts"}
	for _, s := range p.Settings {
		keys = append(keys, s.Key)
	}
	return keys
}

func (d *decoder) decodeAccount(p *Provider, n *yaml.Node, path string) *Account {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want an account mapping, got %s", kindName(n))
		return nil
	}
	a := &Account{Values: map[string]string{}}
	known := []string{"name", "supportedTypes"}
	for _, f := range p.Fields {
		known = append(known, f.Key)
	}
	var walk func(m *yaml.Node, prefix string)
	walk = func(m *yaml.Node, prefix string) {
		d.eachKey(m, path, func(k string, kn, v *yaml.Node) {
			key := prefix + k
			fp := path + "." + key
			switch {
			case prefix == "" && k == "name":
				d.decodeString(v, fp, &a.Name)
			case prefix == "" && k == "supportedTypes":
				if isNull(v) {
					return
				}
				if v.Kind != yaml.SequenceNode {
					d.errorf(v, fp, "want a list of METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE, got %s", kindName(v))
					return
				}
				for i, tn := range v.Content {
					if tn.Kind != yaml.ScalarNode || !validType(tn.Value) {
						d.errorf(tn, fmt.Sprintf("%s[%d]", fp, i), "unknown supported type %q (want METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE)", tn.Value)
						continue
					}
					a.SupportedTypes = append(a.SupportedTypes, SupportedType(tn.Value))
				}
			default:
				if _, ok := p.Field(key); ok {
					var s string
					if d.decodeString(v, fp, &s) && s != "" {
						a.Values[key] = s
					}
					return
				}
				if v.Kind == yaml.MappingNode && hasFieldPrefix(p, key+".") {
					walk(v, key+".")
					return
				}
				d.unknown(kn, path, key, known)
			}
		})
	}
	walk(n, "")
	if a.Name == "" {
		d.errorf(n, path+".name", "account name must be specified")
	}
	return a
}

func hasFieldPrefix(p *Provider, prefix string) bool {
	for _, f := range p.Fields {
		if len(f.Key) > len(prefix) && f.Key[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

// AccountView pairs an account with its provider so it can be written on its own.
type AccountView struct {
	Provider *Provider
	Account  *Account
}

// MarshalYAML writes the account as it appears in the config file.
func (v AccountView) MarshalYAML() (any, error) { return v.Account.node(v.Provider), nil }
