package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// FieldError is a problem with a key of a config file, with its position.
type FieldError struct {
	File         string
	Line, Column int
	// Path is the key path, such as kayenta.prometheus.accounts[0].name.
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return position(e.File, e.Line, e.Column, e.Path, e.Msg) }

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
// read, a provider it does not serve, a setting that has no effect.
type Warning struct {
	File         string
	Line, Column int
	// Path is the key path, such as redis.connection.
	Path string
	Msg  string
}

// String formats the warning as file:line:column: path: message.
func (w Warning) String() string { return position(w.File, w.Line, w.Column, w.Path, w.Msg) }

func position(file string, line, col int, path, msg string) string {
	var b strings.Builder
	b.WriteString(file)
	if line > 0 {
		fmt.Fprintf(&b, ":%d:%d", line, col)
	}
	b.WriteString(": ")
	if path != "" {
		b.WriteString(path + ": ")
	}
	b.WriteString(msg)
	return b.String()
}

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
