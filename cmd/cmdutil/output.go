package cmdutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// Format is an output format for read commands.
type Format string

const (
	FormatDefault Format = ""
	FormatTable   Format = "table"
	FormatYAML    Format = "yaml"
	FormatJSON    Format = "json"
)

var formats = []string{"table", "yaml", "json"}

// String implements pflag.Value.
func (f *Format) String() string { return string(*f) }

// Set implements pflag.Value.
func (f *Format) Set(s string) error {
	switch Format(s) {
	case FormatTable, FormatYAML, FormatJSON:
		*f = Format(s)
		return nil
	}
	return fmt.Errorf("unknown output format %q: allowed formats are %s", s, strings.Join(formats, ", "))
}

// Type implements pflag.Value.
func (f *Format) Type() string { return "format" }

// AddOutputFlag registers -o/--output with completion.
func AddOutputFlag(cmd *cobra.Command, f *Format) {
	cmd.Flags().VarP(f, "output", "o", "Output format: "+strings.Join(formats, "|")+" (default table)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// Print writes v as YAML or JSON, or calls table for the table format.
// YAML and JSON keep the field order of v's YAML encoding.
func Print(out io.Writer, f Format, v any, table func(w *tabwriter.Writer)) error {
	switch f {
	case FormatYAML:
		b, err := MarshalYAML(v)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	case FormatJSON:
		b, err := MarshalJSON(v)
		if err != nil {
			return err
		}
		_, err = out.Write(append(b, '\n'))
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	table(w)
	return w.Flush()
}

// MarshalYAML encodes v with two-space indents.
func MarshalYAML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// MarshalJSON encodes v through its YAML form, so JSON and YAML show the same
// fields in the same order (Halyard's field names).
func MarshalJSON(v any) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := writeJSON(&b, &n, ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, n *yaml.Node, indent string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		return writeJSON(b, n.Content[0], indent)
	case yaml.AliasNode:
		return writeJSON(b, n.Alias, indent)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := jsonString(n.Content[i].Value)
			b.WriteString(indent + "  ")
			b.Write(k)
			b.WriteString(": ")
			if err := writeJSON(b, n.Content[i+1], indent+"  "); err != nil {
				return err
			}
			if i+2 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, c := range n.Content {
			b.WriteString(indent + "  ")
			if err := writeJSON(b, c, indent+"  "); err != nil {
				return err
			}
			if i+1 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			b.WriteString("null")
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return err
			}
			j, err := json.Marshal(v)
			if err != nil {
				// NaN and Inf have no JSON number: write them as strings, as Kayenta does.
				j = jsonString(n.Value)
			}
			b.Write(j)
		default:
			b.Write(jsonString(n.Value))
		}
	}
	return nil
}

// jsonString quotes s as JSON without HTML escaping (so "<redacted>" stays readable).
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}
