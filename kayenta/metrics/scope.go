package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Scope is Kayenta's CanaryScope: what to fetch (scope, location and
// provider-specific extendedScopeParams) over which interval. It is the
// controlScope / experimentScope of a CanaryExecutionRequest:
//
//	{"scope":"app-baseline","location":"us-east-1","start":"2020-07-27T19:17:36Z",
//	 "end":"2020-07-27T19:21:36Z","step":60,"extendedScopeParams":{"k":"v"}}
type Scope struct {
	// Scope names what is measured, e.g. a server group; templates see it as ${scope}.
	Scope string
	// Location is a region or zone; templates see it as ${location}.
	Location string
	// Start and End bound the interval (zero when absent).
	Start, End time.Time
	// Step is the resolution in seconds.
	Step int64
	// ExtendedScopeParams are provider-specific parameters; every one of them
	// is a template variable. Prometheus also reads "project" and
	// "resourceType" from them.
	ExtendedScopeParams map[string]string
}

// StepDuration returns Step as a duration.
func (s Scope) StepDuration() time.Duration { return time.Duration(s.Step) * time.Second }

type scopeJSON struct {
	Scope               string            `json:"scope,omitempty"`
	Location            string            `json:"location,omitempty"`
	Start               *instant          `json:"start,omitempty"`
	End                 *instant          `json:"end,omitempty"`
	Step                *jsonLong         `json:"step,omitempty"`
	ExtendedScopeParams map[string]string `json:"extendedScopeParams,omitzero"`
}

// MarshalJSON writes Kayenta's CanaryScope JSON: instants as ISO strings,
// step in seconds, absent values omitted (Kayenta's NON_NULL inclusion).
func (s Scope) MarshalJSON() ([]byte, error) {
	w := scopeJSON{Scope: s.Scope, Location: s.Location, ExtendedScopeParams: s.ExtendedScopeParams}
	if !s.Start.IsZero() {
		w.Start = &instant{s.Start}
	}
	if !s.End.IsZero() {
		w.End = &instant{s.End}
	}
	step := jsonLong(s.Step)
	w.Step = &step
	return json.Marshal(w)
}

// UnmarshalJSON reads a CanaryScope. start and end may be ISO-8601 instants
// (with Z or an offset) or numbers of epoch seconds, as Jackson's
// InstantDeserializer accepts; step may be a number or a numeric string.
// Unknown fields are ignored.
func (s *Scope) UnmarshalJSON(b []byte) error {
	var w scopeJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("canary scope: %w", err)
	}
	*s = Scope{Scope: w.Scope, Location: w.Location, ExtendedScopeParams: w.ExtendedScopeParams}
	if w.Start != nil {
		s.Start = w.Start.t
	}
	if w.End != nil {
		s.End = w.End.t
	}
	if w.Step != nil {
		s.Step = int64(*w.Step)
	}
	return nil
}

// instant is a time.Time with Java Instant JSON.
type instant struct{ t time.Time }

func (i instant) MarshalJSON() ([]byte, error) {
	return json.Marshal(FormatInstant(i.t))
}

func (i *instant) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		i.t = time.Time{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			i.t = time.Time{}
			return nil
		}
		t, err := ParseInstant(s)
		if err != nil {
			return err
		}
		i.t = t
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("want an ISO-8601 instant or epoch seconds, got %s", b)
	}
	sec, frac := math.Modf(f)
	i.t = time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
	return nil
}

// ParseInstant parses an ISO-8601 instant such as 2020-07-27T19:17:36Z or
// 2020-07-27T21:17:36.5+02:00 and returns it in UTC.
func ParseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an ISO-8601 instant such as 2020-07-27T19:17:36Z, got %q", s)
	}
	return t.UTC(), nil
}

// jsonLong is a Java Long: a JSON integer or a string holding one.
type jsonLong int64

func (l jsonLong) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(l), 10), nil }

func (l *jsonLong) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*l = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer number of seconds, got %s", b)
	}
	*l = jsonLong(v)
	return nil
}
