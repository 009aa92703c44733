package metrics

import (
	"context"
	"encoding/json"
)

// Source is a metrics store account: it runs one metric's query for one scope.
// Implementations apply their own timeouts and retries and return at least one
// MetricSet on success (a NaN-free empty one when the store has no data), each
// named q.MetricName. Errors that Kayenta reports as 400s are *ArgumentError.
type Source interface {
	Fetch(ctx context.Context, q Query) ([]MetricSet, error)
}

// Query is what a Source needs to fetch one metric for one scope.
type Query struct {
	// MetricName is the canary metric config's name; every returned MetricSet
	// carries it.
	MetricName string
	// QueryConfig is the metric config's "query" object verbatim (its "type"
	// selects the provider, e.g. {"type":"prometheus","metricName":…}).
	QueryConfig json.RawMessage
	// Templates are the canary config's templates (name → template), which
	// a query config can reference by customFilterTemplate.
	Templates map[string]string
	// Scope is the control or experiment scope.
	Scope Scope
}
