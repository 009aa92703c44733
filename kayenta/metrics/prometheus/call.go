package prometheus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// QueryError is a failed call to a Prometheus account: it names the account,
// the endpoint and the query, the last HTTP status (0 when there was no
// response) and how many attempts were made.
type QueryError struct {
	Account string
	// Endpoint is the API called: "query_range" or "label/__name__/values".
	Endpoint string
	// Query is the PromQL ("" for metadata calls).
	Query string
	// Status is the HTTP status of the last attempt, 0 without a response.
	Status int
	// Attempts is the number of attempts made.
	Attempts int
	// Retryable reports whether the last failure was of a retryable kind
	// (network error, timeout, 5xx, 408, 429).
	Retryable bool
	// Err describes the last failure.
	Err error
}

func (e *QueryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prometheus account %q: %s", e.Account, e.Endpoint)
	if e.Query != "" {
		fmt.Fprintf(&b, " of query `%s`", e.Query)
	}
	b.WriteString(" failed")
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *QueryError) Unwrap() error { return e.Err }

// badResponseError marks a response that could not be converted.
type badResponseError struct{ err error }

func (e *badResponseError) Error() string { return e.err.Error() }
func (e *badResponseError) Unwrap() error { return e.err }

// timeoutError is a call that got no (complete) response within the timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("timeout: no complete response within %s", e.d)
}

// Timeout lets net-style checks see it as a timeout.
func (e *timeoutError) Timeout() bool { return true }

// Is makes errors.Is(err, context.DeadlineExceeded) hold.
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// recorder remembers the last HTTP response an api.Client call got.
type recorder struct {
	api.Client
	status      int
	statusText  string
	contentType string
	body        []byte
}

func (r *recorder) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, body, err := r.Client.Do(ctx, req)
	if resp != nil {
		r.status, r.statusText = resp.StatusCode, resp.Status
		r.contentType = resp.Header.Get("Content-Type")
		r.body = body
	}
	return resp, body, err
}

// call runs fn with up to c.attempts attempts, each bounded by c.timeout,
// backing off 2^(n-1)·c.backoffBase after the n-th failure. It retries only
// network errors, timeouts and HTTP 5xx, 408 and 429, and stops at once
// when ctx ends.
func (c *Client) call(ctx context.Context, endpoint, query string, fn func(context.Context, v1.API) error) error {
	for attempt := 1; ; attempt++ {
		rec := &recorder{Client: c.api}
		callCtx, cancel := context.WithTimeout(ctx, c.timeout)
		err := fn(callCtx, v1.NewAPI(rec))
		timedOut := callCtx.Err() == context.DeadlineExceeded
		cancel()
		if err == nil {
			return nil
		}
		qe := &QueryError{Account: c.name, Endpoint: endpoint, Query: query, Status: rec.status, Attempts: attempt}
		if ctxErr := ctx.Err(); ctxErr != nil {
			qe.Err = fmt.Errorf("%w (%v)", ctxErr, err)
			return qe
		}
		qe.Err, qe.Retryable = describe(err, rec, timedOut, c.timeout)
		if !qe.Retryable || attempt >= c.attempts {
			return qe
		}
		wait := backoff(c.backoffBase, attempt)
		c.log.Warn("prometheus call failed, retrying",
			"account", c.name, "endpoint", endpoint, "query", query,
			"attempt", attempt, "maxAttempts", c.attempts, "backoff", wait, "error", qe.Err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			qe.Err = fmt.Errorf("%w (while waiting to retry after: %v)", ctx.Err(), qe.Err)
			return qe
		case <-t.C:
		}
	}
}

// maxBackoff caps one wait; Kayenta has no cap, but a shift must not overflow.
const maxBackoff = 24 * time.Hour

// backoff is the wait after the n-th failed attempt: 2^(n-1)·base.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n; i++ {
		if d >= maxBackoff/2 {
			return maxBackoff
		}
		d *= 2
	}
	return min(d, maxBackoff)
}

// describe turns the error of one attempt into a readable error and tells
// whether it may be retried.
func describe(err error, rec *recorder, timedOut bool, timeout time.Duration) (error, bool) {
	var bad *badResponseError
	switch {
	case errors.As(err, &bad):
		return fmt.Errorf("HTTP %s: %w", rec.statusText, bad.err), false
	case timedOut || errors.Is(err, context.DeadlineExceeded):
		return &timeoutError{timeout}, true
	case rec.status == 0:
		// No response: connection refused, reset, DNS, TLS… (Kayenta's
		// retryable SpinnakerNetworkException).
		return err, true
	}
	status := rec.status
	retryable := status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
	var apiErr *v1.Error
	if !errors.As(err, &apiErr) {
		// E.g. the body could not be read.
		return fmt.Errorf("HTTP %s: %w", rec.statusText, err), retryable
	}
	if status/100 == 2 {
		if apiErr.Type == v1.ErrBadResponse {
			// client_golang could not decode the body.
			return fmt.Errorf("HTTP %s: the response is not Prometheus API JSON (Content-Type %q, body %s): %s",
				rec.statusText, rec.contentType, snippet(rec.body), apiErr.Msg), false
		}
		// {"status":"error"} with a 2xx status.
		return fmt.Errorf("HTTP %s: %s: %s", rec.statusText, apiErr.Type, apiErr.Msg), false
	}
	if apiErr.Type == v1.ErrClient || apiErr.Type == v1.ErrServer || apiErr.Type == v1.ErrBadResponse {
		// A generic HTTP error: the body says more than "server error: 503".
		return fmt.Errorf("HTTP %s: %s", rec.statusText, snippet(rec.body)), retryable
	}
	// Prometheus' own error JSON (400 bad_data, 422 execution, …).
	return fmt.Errorf("HTTP %s: %s: %s", rec.statusText, apiErr.Type, apiErr.Msg), retryable
}

// snippet quotes the start of a response body for an error message.
func snippet(body []byte) string {
	const max = 200
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return "(empty)"
	}
	if len(b) <= max {
		return strconv.Quote(string(b))
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strconv.Quote(string(b[:cut])) + "…"
}
