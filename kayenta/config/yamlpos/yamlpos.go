// Package yamlpos reads the one YAML document of a config file and reports
// problems in it with their position, as file:line:column: path: message.
//
// kayenta/config (kayenta.yml) and halconfig (ctl's own config) both use
// it. It lives under kayenta/config because kayenta/ imports nothing from
// outside kayenta/, while halconfig may depend on kayenta packages (as
// installer does); it imports nothing from this module.
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is a problem in a config file, with its position.
type FieldError struct {
	File         string
	Line, Column int
	// Path is the key path, such as deploymentConfigurations[0].canary.enabled.
	Path string
	Msg  string
}

// Error formats the problem as file:line:column: path: message, leaving out
// the position when Line is 0 and the path when it is empty.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf returns a problem at n's position (none when n is nil).
func Errorf(file string, n *yaml.Node, path, format string, args ...any) *FieldError {
	fe := &FieldError{File: file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		fe.Line, fe.Column = n.Line, n.Column
	}
	return fe
}

// Decode reads the first YAML document of data. doc is nil when data holds
// no document; extra is a second document that parses, which the caller
// reports (a config file holds one). A syntax error is returned as a
// FieldError on the line of the mistake.
func Decode(file string, data []byte) (doc, extra *yaml.Node, err *FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if e := dec.Decode(&first); e != nil {
		if errors.Is(e, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, syntaxError(file, data, e)
	}
	var second yaml.Node
	if dec.Decode(&second) == nil {
		extra = &second
	}
	return &first, extra, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError positions a yaml.v3 syntax error at its line, column 1.
func syntaxError(file string, data []byte, err error) *FieldError {
	fe := &FieldError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Column = 1
		fe.Msg = m[2]
		if l := syntaxErrorLine(data); l > 0 {
			fe.Line = l
		}
	}
	return fe
}

// syntaxErrorLine returns the line a YAML syntax error is on: the line after
// the longest prefix of whole lines that still parses. yaml.v3 reports the
// line where the enclosing block starts (0-based for parser errors), which
// can be several lines before the mistake. 0 means unknown.
func syntaxErrorLine(data []byte) int {
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 5000 {
		return 0
	}
	for n := len(lines) - 1; n >= 0; n-- {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &doc) == nil {
			return n + 1
		}
	}
	return 0
}
