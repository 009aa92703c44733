// Package metrics holds the provider-neutral half of Kayenta's metric
// fetching: the MetricSet a metrics store returns for one metric and scope
// (kayenta-core metrics/MetricSet.java), the CanaryScope a fetch is made for,
// the Source interface every metrics provider implements, and Mix, the port of
// MetricSetMixerService that pairs control and experiment MetricSets into the
// judge.MetricSetPairs the judge consumes.
//
// The JSON of MetricSet, Scope and the pairs Mix builds is Kayenta's: NaN and
// the infinities are the strings "NaN", "Infinity" and "-Infinity", doubles use
// Java's Double.toString form (1.0, 1.0E-5), instants are written like Java's
// Instant.toString (2020-07-27T19:17:36Z, 2019-04-11T11:32:53.340Z).
//
// Providers live in subpackages (metrics/prometheus).
package metrics
