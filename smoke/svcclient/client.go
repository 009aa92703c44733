// Package svcclient is a small JSON client of the analysis service's
// Kayenta REST API, shared by `ctl canary run` (cmd/canary) and the smoke
// canaries (smoke). It imports only the standard library: cmd/canary is
// also built into the service binary, which leaves out smoke and its
// embedded Prometheus.
package svcclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswer bounds the answers read (a metric set pair list of a long
// window is the largest).
const maxAnswer = 64 << 20

// Client talks to one analysis service.
type Client struct {
	// Base is the service's URL, http://host:port (or a proxy path to it),
	// without a trailing slash.
	Base string
	// HTTP sends the requests.
	HTTP *http.Client
}

// New returns a client of the service at base; a nil hc means a plain
// client with a 30 s timeout.
func New(base string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: hc}
}

// Call sends in (when not nil) as a JSON body to path (with its query) and
// decodes the JSON answer into out: a *[]byte receives it raw, a nil out
// or an empty answer is not decoded. A non-2xx answer is an error with the
// service's {"message"}.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	p, _, _ := strings.Cut(path, "?")
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return fmt.Errorf("%s %s: %s: %s", method, p, resp.Status, e.Message)
		}
		return fmt.Errorf("%s %s: %s", method, p, resp.Status)
	}
	if rb, ok := out.(*[]byte); ok {
		*rb = b
		return nil
	}
	if out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, p, err)
	}
	return nil
}

// Cancel asks the service to cancel a canary execution or a standalone
// analysis (PUT /pipelines/{id}/cancel).
func (c *Client) Cancel(ctx context.Context, id string) error {
	return c.Call(ctx, http.MethodPut, "/pipelines/"+url.PathEscape(id)+"/cancel", nil, nil)
}
