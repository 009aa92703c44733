package halconfig

import (
	"fmt"
	"strings"
)

// KubeconfigField describes deploymentEnvironment.kubeconfigFile the way
// provider fields are described: a local file (it holds cluster credentials).
var KubeconfigField = Field{
	Key: "kubeconfigFile", Flag: "kubeconfig", LocalFile: true,
	Usage: "The kubeconfig file used in distributed mode",
}

// FieldRef names one account field (or the deployment environment's
// kubeconfigFile, with Provider and Account empty) anywhere in the config.
type FieldRef struct {
	Deployment string `json:"deployment" yaml:"deployment"`
	// Provider is the integration ("aws"); empty for deploymentEnvironment.
	Provider string `json:"provider,omitempty" yaml:"provider,omitempty"`
	// Account is the canary account; empty for deploymentEnvironment.
	Account string `json:"account,omitempty" yaml:"account,omitempty"`
	// Field is the field's key: an account field key such as secretAccessKey,
	// or deploymentEnvironment.kubeconfigFile.
	Field string `json:"field" yaml:"field"`
}

// kubeconfigKey is FieldRef.Field for the deployment environment's kubeconfig.
const kubeconfigKey = "deploymentEnvironment.kubeconfigFile"

// String names the field for messages, such as
// "aws account my-s3 secretAccessKey (deployment default)". It never holds a value.
func (r FieldRef) String() string {
	if r.Provider == "" {
		return fmt.Sprintf("%s (deployment %s)", r.Field, r.Deployment)
	}
	return fmt.Sprintf("%s account %s %s (deployment %s)", r.Provider, r.Account, r.Field, r.Deployment)
}

// Describe returns the field's description: the provider field, or
// KubeconfigField for the deployment environment.
func (r FieldRef) Describe() (Field, error) {
	if r.Provider == "" {
		if r.Field != kubeconfigKey {
			return Field{}, fmt.Errorf("unknown deployment field %q (want %s)", r.Field, kubeconfigKey)
		}
		return KubeconfigField, nil
	}
	p, err := LookupProvider(r.Provider)
	if err != nil {
		return Field{}, err
	}
	f, ok := p.Field(r.Field)
	if !ok {
		return Field{}, fmt.Errorf("%s accounts have no field %q", p.Name, r.Field)
	}
	return f, nil
}

// SetCommand returns the ctl command that sets the field. A secret flag is
// written bare, so ctl prompts for it; value (a path, never a secret) is
// added for a local file when it is not empty.
func (r FieldRef) SetCommand(value string) string {
	f, err := r.Describe()
	if err != nil {
		return ""
	}
	arg := "--" + f.Flag
	switch {
	case f.Secret:
	case value != "":
		arg += " " + shellQuote(value)
	default:
		arg += " PATH"
	}
	if r.Provider == "" {
		return fmt.Sprintf("ctl config deploy edit %s --deployment %s", arg, r.Deployment)
	}
	return fmt.Sprintf("ctl config canary %s account edit %s %s --deployment %s", r.Provider, r.Account, arg, r.Deployment)
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SensitiveField is a secret value or a local file path held by the config.
type SensitiveField struct {
	FieldRef
	// Desc is the field's description (Secret or LocalFile is set).
	Desc Field
	// Value is the field's current value (never empty).
	Value string
}

// IsSecretReference reports whether a field's value is a reference to a
// secret kept elsewhere ("encrypted:..." as Halyard's secret engines write
// them) rather than the secret or the file itself.
func IsSecretReference(value string) bool { return strings.HasPrefix(value, "encrypted:") }

// IsReference reports whether the value is a secret reference (IsSecretReference).
func (s SensitiveField) IsReference() bool { return IsSecretReference(s.Value) }

// SensitiveFields lists, in config order, every field with a value that is a
// secret (Field.Secret) or a local file (Field.LocalFile, and each
// deployment environment's kubeconfigFile).
func (h *Halconfig) SensitiveFields() []SensitiveField {
	var out []SensitiveField
	for _, d := range h.DeploymentConfigurations {
		if v := d.DeploymentEnvironment.KubeconfigFile; v != "" {
			out = append(out, SensitiveField{
				FieldRef: FieldRef{Deployment: d.Name, Field: kubeconfigKey},
				Desc:     KubeconfigField, Value: v,
			})
		}
		for _, si := range d.Canary.ServiceIntegrations {
			p := si.Provider()
			if p == nil {
				continue
			}
			for _, a := range si.Accounts {
				for _, f := range p.Fields {
					if !f.Secret && !f.LocalFile {
						continue
					}
					if v := a.Get(f.Key); v != "" {
						out = append(out, SensitiveField{
							FieldRef: FieldRef{Deployment: d.Name, Provider: p.Name, Account: a.Name, Field: f.Key},
							Desc:     f, Value: v,
						})
					}
				}
			}
		}
	}
	return out
}

// GetField returns the value of the field r names. ok is false when its
// deployment, integration or account does not exist.
func (h *Halconfig) GetField(r FieldRef) (value string, ok bool) {
	d := h.Deployment(r.Deployment)
	if d == nil {
		return "", false
	}
	if r.Provider == "" {
		if r.Field != kubeconfigKey {
			return "", false
		}
		return d.DeploymentEnvironment.KubeconfigFile, true
	}
	si := d.Canary.Integration(r.Provider)
	if si == nil {
		return "", false
	}
	a := si.Account(r.Account)
	if a == nil {
		return "", false
	}
	if p := si.Provider(); p == nil {
		return "", false
	} else if _, known := p.Field(r.Field); !known {
		return "", false
	}
	return a.Get(r.Field), true
}

// SetField sets the field r names (an empty value removes it). It returns
// false, changing nothing, when the deployment, integration, account or
// field does not exist.
func (h *Halconfig) SetField(r FieldRef, value string) bool {
	if _, ok := h.GetField(r); !ok {
		return false
	}
	d := h.Deployment(r.Deployment)
	if r.Provider == "" {
		d.DeploymentEnvironment.KubeconfigFile = value
		return true
	}
	d.Canary.Integration(r.Provider).Account(r.Account).Set(r.Field, value)
	return true
}
