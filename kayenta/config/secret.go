package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what a Secret shows instead of its value.
const Redacted = "<redacted>"

// Secret is a secret value: a password, a token or a secret key. It prints
// (with any fmt verb), marshals to JSON or YAML and logs as <redacted>, so
// a Config can be printed or logged whole. Value returns the secret itself.
type Secret string

// Value returns the secret itself, for the one place that uses it.
func (s Secret) Value() string { return string(s) }

// IsSet reports whether the secret holds a value.
func (s Secret) IsSet() bool { return s != "" }

// String returns <redacted>, or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString returns the redacted text for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format writes the redacted text whatever the verb, so no fmt verb
// (%s, %v, %q, %x, %d …) can reveal the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		if verb == 'v' && f.Flag('#') {
			_, _ = io.WriteString(f, s.GoString())
			return
		}
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalJSON writes "<redacted>" (or "" for an empty secret).
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML writes <redacted> (or "" for an empty secret).
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText writes <redacted> (or nothing for an empty secret), for
// encoders that use encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes log/slog record <redacted>.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
