package halconfig

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// A migration rewrites a parsed file of schema `from` into the next schema.
// Migrations work on the YAML tree, so a field that no longer exists in the
// Go types can still be read and moved.
type migration struct {
	from, to string
	apply    func(root *yaml.Node) error
}

// migrations, oldest first; the last one's `to` is APIVersion.
var migrations = []migration{
	{from: "ctl/v1alpha1", to: "ctl/v1", apply: integrationsMapToList},
}

var errUnknownVersion = errors.New("unknown schema version")

// migrate brings root from version to APIVersion in place.
func migrate(root *yaml.Node, version string) error {
	if version == APIVersion {
		return nil
	}
	start := -1
	for i, m := range migrations {
		if m.from == version {
			start = i
			break
		}
	}
	if start < 0 {
		return errUnknownVersion
	}
	for _, m := range migrations[start:] {
		if err := m.apply(root); err != nil {
			return fmt.Errorf("%s -> %s: %w", m.from, m.to, err)
		}
		setVersion(root, m.to)
	}
	return nil
}

func setVersion(root *yaml.Node, v string) {
	if n := lookup(root, "apiVersion"); n != nil {
		n.Value, n.Tag, n.Style = v, "!!str", 0
	}
}

// integrationsMapToList: schema ctl/v1alpha1 kept canary.serviceIntegrations
// as a mapping keyed by provider (the shape spinnaker/kleat reads); ctl/v1
// uses Halyard's list of entries with a name, so that Halyard users'
// files and muscle memory carry over.
func integrationsMapToList(root *yaml.Node) error {
	deps := lookup(root, "deploymentConfigurations")
	if deps == nil || deps.Kind != yaml.SequenceNode {
		return nil
	}
	for i, dc := range deps.Content {
		canary := lookup(dc, "canary")
		if canary == nil || canary.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(canary.Content); j += 2 {
			if canary.Content[j].Value != "serviceIntegrations" {
				continue
			}
			m := canary.Content[j+1]
			if m.Kind != yaml.MappingNode {
				return fmt.Errorf("deploymentConfigurations[%d].canary.serviceIntegrations (line %d): want a mapping keyed by provider in ctl/v1alpha1", i, m.Line)
			}
			seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: m.Line, Column: m.Column}
			for k := 0; k+1 < len(m.Content); k += 2 {
				name, body := m.Content[k], m.Content[k+1]
				entry := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: body.Line, Column: body.Column}
				entry.Content = append(entry.Content, scalar("name"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name.Value, Line: name.Line, Column: name.Column})
				switch {
				case body.Kind == yaml.MappingNode:
					entry.Content = append(entry.Content, body.Content...)
				case !isNull(body):
					return fmt.Errorf("deploymentConfigurations[%d].canary.serviceIntegrations.%s (line %d): want a mapping, got %s", i, name.Value, body.Line, kindName(body))
				}
				seq.Content = append(seq.Content, entry)
			}
			canary.Content[j+1] = seq
		}
	}
	return nil
}
