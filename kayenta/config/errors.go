package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ctlproject/ctl/kayenta/config/yamlpos"
)

// FieldError is a problem with a key of a config file, with its position;
// Path is the key path, such as kayenta.prometheus.accounts[0].name.
type FieldError = yamlpos.FieldError

// ParseError holds every problem that stops the config file from loading.
type ParseError struct {
	File string
	Errs []*FieldError
}

func (e *ParseError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		msgs[i] = fe.Error()
	}
	return fmt.Sprintf("cannot load service config %s:\n  %s", e.File, strings.Join(msgs, "\n  "))
}

// Warning is a problem that does not stop the service: a key it does not
// read, a provider it does not serve, a setting that has no effect. It is
// positioned as a FieldError is; Path is such as redis.connection.
type Warning FieldError

// String formats the warning as file:line:column: path: message.
func (w Warning) String() string { return (*FieldError)(&w).Error() }

func sortErrors(errs []*FieldError) {
	slices.SortStableFunc(errs, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
