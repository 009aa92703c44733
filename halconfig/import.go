package halconfig

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Imported is a deployment read from a Halyard config.
type Imported struct {
	Deployment *DeploymentConfiguration
	// Notes say what was not imported or was changed, one line each.
	Notes []string
}

// ImportHalyardFile reads a Halyard config (~/.hal/config) and converts one
// deployment: name "" means the file's currentDeployment.
func ImportHalyardFile(path, name string) (*Imported, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading Halyard config: %w", err)
	}
	return ImportHalyard(path, data, name)
}

// halyardEnvFields are the deploymentEnvironment fields ctl carries over.
var halyardEnvFields = map[string]bool{"type": true, "accountName": true, "location": true}

// ImportHalyard converts one deployment of a Halyard config. The canary
// section is decoded as strictly as ctl's own file; other sections are
// listed in Notes.
func ImportHalyard(file string, data []byte, name string) (*Imported, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not YAML: %v", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a Halyard config (want a mapping with deploymentConfigurations)", file)
	}
	root := doc.Content[0]
	if lookup(root, "apiVersion") != nil {
		return nil, fmt.Errorf("%s: this is already a ctl config (it has apiVersion); use it with --config or CTL_CONFIG", file)
	}
	deps := lookup(root, "deploymentConfigurations")
	if deps == nil || deps.Kind != yaml.SequenceNode || len(deps.Content) == 0 {
		return nil, fmt.Errorf("%s: no deploymentConfigurations: not a Halyard config", file)
	}
	if name == "" {
		if cur := lookup(root, "currentDeployment"); cur != nil && cur.Value != "" {
			name = cur.Value
		}
	}
	var dn *yaml.Node
	var names []string
	for i, n := range deps.Content {
		nn := lookup(n, "name")
		if nn == nil {
			return nil, fmt.Errorf("%s:%d:%d: deploymentConfigurations[%d]: missing name", file, n.Line, n.Column, i)
		}
		names = append(names, nn.Value)
		if nn.Value == name || (name == "" && i == 0) {
			dn = n
		}
	}
	if dn == nil {
		return nil, fmt.Errorf("%s: no deployment %q (it has: %s); pick one with --deployment", file, name, strings.Join(names, ", "))
	}
	depName := lookup(dn, "name").Value
	if !ValidDeploymentName(depName) {
		return nil, fmt.Errorf("%s: deployment name %q cannot be used by ctl (it is also a folder name): want %s", file, depName, deploymentNameRE)
	}
	out := &Imported{Deployment: NewDeployment(depName)}
	d := &decoder{file: file}
	path := fmt.Sprintf("deploymentConfigurations[%d]", indexOf(deps, dn))
	var skipped []string
	for i := 0; i+1 < len(dn.Content); i += 2 {
		k, v := dn.Content[i].Value, dn.Content[i+1]
		switch k {
		case "name":
		case "canary":
			d.decodeValue(v, path+".canary", reflect.ValueOf(&out.Deployment.Canary).Elem())
			d.duplicateIntegrations(v, path+".canary")
		case "deploymentEnvironment":
			out.Notes = append(out.Notes, importEnvironment(v, &out.Deployment.DeploymentEnvironment, lookup(root, "deploymentConfigurations"), dn)...)
		default:
			if !isEmptyNode(v) {
				skipped = append(skipped, k)
			}
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	before := out.Deployment.Canary.Clone()
	out.Deployment.Canary.Normalize()
	out.Notes = append(out.Notes, typeChanges(&before, &out.Deployment.Canary)...)
	for _, k := range []string{"halyardVersion"} {
		if n := lookup(root, k); n != nil && n.Value != "" {
			out.Notes = append(out.Notes, fmt.Sprintf("not imported: %s %s (ctl has its own versions)", k, n.Value))
		}
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		out.Notes = append(out.Notes, "not imported (ctl manages only the canary stack): "+strings.Join(skipped, ", "))
	}
	if others := len(names) - 1; others > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("the file has %d other deployment(s) (%s); import each with --deployment NAME", others, strings.Join(without(names, depName), ", ")))
	}
	return out, nil
}

func importEnvironment(v *yaml.Node, e *DeploymentEnvironment, _ *yaml.Node, dn *yaml.Node) []string {
	var notes, skipped []string
	if v.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i].Value, v.Content[i+1]
		switch k {
		case "type":
			switch strings.ToLower(val.Value) {
			case "distributed":
				e.Type = EnvDistributed
			case "":
			default:
				e.Type = EnvLocal
				notes = append(notes, fmt.Sprintf("deploymentEnvironment.type %s becomes local (ctl runs the analysis service as a local process)", val.Value))
			}
		case "accountName":
			e.AccountName = val.Value
		case "location":
			e.Location = val.Value
		default:
			if !halyardEnvFields[k] && !isEmptyNode(val) {
				skipped = append(skipped, k)
			}
		}
	}
	// Halyard keeps the kubeconfig on the kubernetes provider account named by accountName.
	if e.AccountName != "" {
		accts := lookup(lookup(lookup(dn, "providers"), "kubernetes"), "accounts")
		if accts != nil && accts.Kind == yaml.SequenceNode {
			for _, a := range accts.Content {
				if n := lookup(a, "name"); n != nil && n.Value == e.AccountName {
					if kc := lookup(a, "kubeconfigFile"); kc != nil && kc.Value != "" {
						e.KubeconfigFile = kc.Value
						notes = append(notes, fmt.Sprintf("kubeconfig %s taken from kubernetes account %s", kc.Value, e.AccountName))
					}
					if ctx := lookup(a, "context"); ctx != nil && ctx.Value != "" {
						notes = append(notes, fmt.Sprintf("kubernetes account %s uses context %s: ctl uses accountName %q as the context; fix with `ctl config deploy edit --account-name %s`", e.AccountName, ctx.Value, e.AccountName, ctx.Value))
					}
				}
			}
		}
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		notes = append(notes, "not imported from deploymentEnvironment: "+strings.Join(skipped, ", "))
	}
	return notes
}

func typeChanges(before, after *Canary) []string {
	var notes []string
	for _, si := range after.ServiceIntegrations {
		old := before.Integration(si.Name)
		for _, a := range si.Accounts {
			var was []SupportedType
			if old != nil {
				if oa := old.Account(a.Name); oa != nil {
					was = oa.SupportedTypes
				}
			}
			if fmt.Sprint(sortTypes(was)) != fmt.Sprint(a.SupportedTypes) {
				notes = append(notes, fmt.Sprintf("%s account %s: supportedTypes %v recomputed as %v from the integration's settings", si.Name, a.Name, was, a.SupportedTypes))
			}
		}
	}
	return notes
}

func isEmptyNode(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) == 0
	case yaml.ScalarNode:
		return isNull(n) || n.Value == ""
	}
	return false
}

func indexOf(seq, n *yaml.Node) int {
	for i, c := range seq.Content {
		if c == n {
			return i
		}
	}
	return -1
}

func without(names []string, name string) []string {
	var out []string
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}
