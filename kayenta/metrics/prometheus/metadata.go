package prometheus

import (
	"context"
	"slices"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// MetricNames lists the account's metric names whose lower-cased form
// contains the lower-cased filter (all names for an empty filter), for
// /metadata/metricsService. The list, GET /api/v1/label/__name__/values, is
// cached for MetadataCacheTTL. Kayenta refreshes it on a schedule; here it is
// refreshed on use once stale, and when a refresh fails the stale list is
// served (and the failure logged). Only with nothing cached is the error
// (a *QueryError) returned.
func (c *Client) MetricNames(ctx context.Context, filter string) ([]string, error) {
	names, err := c.cachedMetricNames(ctx)
	if err != nil {
		return nil, err
	}
	if filter == "" {
		return slices.Clone(names), nil
	}
	f := strings.ToLower(filter)
	var out []string
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), f) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (c *Client) cachedMetricNames(ctx context.Context) ([]string, error) {
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	if c.metaValid && c.now().Sub(c.metaFetched) < c.cacheTTL {
		return c.metaNames, nil
	}
	var names []string
	err := c.call(ctx, "label/__name__/values", "", func(ctx context.Context, papi v1.API) error {
		vals, _, _, err := papi.LabelValues(ctx, "__name__", nil, time.Time{}, time.Time{})
		if err != nil {
			return err
		}
		names = make([]string, len(vals))
		for i, v := range vals {
			names[i] = string(v)
		}
		return nil
	})
	if err != nil {
		if c.metaValid {
			c.log.Warn("prometheus metric name refresh failed; serving the cached list",
				"account", c.name, "cachedAt", c.metaFetched, "error", err)
			return c.metaNames, nil
		}
		return nil, err
	}
	c.metaNames, c.metaFetched, c.metaValid = names, c.now(), true
	return names, nil
}
