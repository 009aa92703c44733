package installer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/halconfig"
)

// Change is one field that differs between the last applied deployment
// config and the current one, as `hal deploy diff` lists them.
type Change struct {
	// Kind is "+" (added), "-" (removed) or "~" (edited).
	Kind string `json:"kind" yaml:"kind"`
	Path string `json:"path" yaml:"path"`
	Old  string `json:"old,omitempty" yaml:"old,omitempty"`
	New  string `json:"new,omitempty" yaml:"new,omitempty"`
}

func (c Change) String() string {
	switch c.Kind {
	case "+":
		return fmt.Sprintf("+ ADDED %s: %s", c.Path, c.New)
	case "-":
		return fmt.Sprintf("- REMOVED %s: %s", c.Path, c.Old)
	}
	return fmt.Sprintf("~ EDITED %s: %s -> %s", c.Path, c.Old, c.New)
}

// ConfigChanges compares two versions of a deployment field by field.
// Accounts and integrations are matched by name; secret values are shown
// as <redacted>. A nil old means nothing was applied yet.
func ConfigChanges(old, cur *halconfig.DeploymentConfiguration) ([]Change, error) {
	flat := func(d *halconfig.DeploymentConfiguration) (map[string]string, error) {
		out := map[string]string{}
		if d == nil {
			return out, nil
		}
		d = d.Clone()
		d.Canary.Redact()
		var n yaml.Node
		if err := n.Encode(d); err != nil {
			return nil, err
		}
		flatten(&n, "", out)
		return out, nil
	}
	a, err := flat(old)
	if err != nil {
		return nil, err
	}
	b, err := flat(cur)
	if err != nil {
		return nil, err
	}
	var out []Change
	for k, v := range b {
		if ov, ok := a[k]; !ok {
			out = append(out, Change{Kind: "+", Path: k, New: v})
		} else if ov != v {
			out = append(out, Change{Kind: "~", Path: k, Old: ov, New: v})
		}
	}
	for k, v := range a {
		if _, ok := b[k]; !ok {
			out = append(out, Change{Kind: "-", Path: k, Old: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// flatten writes scalar leaves as path → value. Sequence items that are
// mappings with a name are keyed by it ([my-prometheus]), others by index.
func flatten(n *yaml.Node, prefix string, out map[string]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			flatten(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if prefix != "" {
				p = prefix + "." + p
			}
			flatten(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			key := fmt.Sprint(i)
			if c.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(c.Content); j += 2 {
					if c.Content[j].Value == "name" {
						key = c.Content[j+1].Value
					}
				}
			} else if c.Kind == yaml.ScalarNode {
				key = c.Value
			}
			flatten(c, prefix+"["+key+"]", out)
		}
	case yaml.ScalarNode:
		out[prefix] = n.Value
	}
}

// UnifiedDiff returns a unified diff of two texts ("" when equal).
func UnifiedDiff(a, b, fromName, toName string) string {
	if a == b {
		return ""
	}
	s, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b), FromFile: fromName, ToFile: toName, Context: 3,
	})
	return strings.TrimRight(s, "\n") + "\n"
}
