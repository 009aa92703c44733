package canary

import (
	"fmt"
	"slices"

	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/metrics"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// MetricsAccount is a named metrics source.
type MetricsAccount struct {
	Name   string
	Type   string // "prometheus"
	Source metrics.Source
}

// StoreAccount is a named object store and the types it serves.
type StoreAccount struct {
	Name  string
	Types []config.SupportedType
	Store storage.Store
}

// Accounts resolves account names as Kayenta's AccountCredentialsRepository
// does: an empty name means the first account that supports the needed
// type; an unknown one is a 400 "Unable to resolve account X.".
type Accounts struct {
	Metrics []MetricsAccount
	Stores  []StoreAccount
}

// MetricsAccount returns the named metrics account ("" = the first).
func (a *Accounts) MetricsAccount(name string) (*MetricsAccount, error) {
	for i := range a.Metrics {
		if name == "" || a.Metrics[i].Name == name {
			return &a.Metrics[i], nil
		}
	}
	if name == "" {
		return nil, metrics.Argumentf("Unable to resolve account of type METRICS_STORE: no such account is configured.")
	}
	return nil, metrics.Argumentf("Unable to resolve account %s.", name)
}

// Store returns the named store account that supports t ("" = the first that does).
func (a *Accounts) Store(name string, t config.SupportedType) (*StoreAccount, error) {
	for i := range a.Stores {
		s := &a.Stores[i]
		if name == "" && slices.Contains(s.Types, t) {
			return s, nil
		}
		if name != "" && s.Name == name {
			if !slices.Contains(s.Types, t) {
				return nil, metrics.Argumentf("Account %s does not support %s.", name, t)
			}
			return s, nil
		}
	}
	if name == "" {
		return nil, metrics.Argumentf("Unable to resolve account of type %s: no such account is configured.", t)
	}
	return nil, metrics.Argumentf("Unable to resolve account %s.", name)
}

// StoresOf lists the store accounts that support t.
func (a *Accounts) StoresOf(t config.SupportedType) []*StoreAccount {
	var out []*StoreAccount
	for i := range a.Stores {
		if slices.Contains(a.Stores[i].Types, t) {
			out = append(out, &a.Stores[i])
		}
	}
	return out
}

func (s *StoreAccount) String() string { return fmt.Sprintf("%s (%v)", s.Name, s.Types) }
