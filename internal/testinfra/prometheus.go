package testinfra

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Prometheus is a Prometheus server started by StartPrometheus.
type Prometheus struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// Addr is 127.0.0.1:PORT.
	Addr string
	// Username and Password are the basic-auth credentials the server
	// requires (WithBasicAuth); both empty when it requires none.
	Username, Password string
	// DataDir is the TSDB directory (--storage.tsdb.path).
	DataDir string
	// ConfigFile is the prometheus.yml it runs with.
	ConfigFile string

	proc *process
}

// PrometheusOption configures StartPrometheus.
type PrometheusOption func(*promOptions)

type promOptions struct {
	user, password string
	openMetrics    []string
	config         string
	args           []string
}

// WithBasicAuth makes the server require HTTP basic auth with this user and
// password (through --web.config.file and a bcrypt hash of the password).
func WithBasicAuth(user, password string) PrometheusOption {
	return func(o *promOptions) { o.user, o.password = user, password }
}

// WithOpenMetrics backfills the series of an OpenMetrics text exposition
// (with timestamps, in seconds) into the TSDB before the server starts, with
// `promtool tsdb create-blocks-from openmetrics`, so that a test can query a
// fixed history at once. A missing final "# EOF" line is added. It may be
// given more than once.
//
// Example:
//
//	# TYPE http_requests counter
//	http_requests_total{job="api",code="200"} 10 1700000000
//	http_requests_total{job="api",code="200"} 20 1700000060
//	# EOF
func WithOpenMetrics(text string) PrometheusOption {
	return func(o *promOptions) { o.openMetrics = append(o.openMetrics, text) }
}

// WithConfig replaces the default prometheus.yml (global settings only, no
// scrape job) with yaml.
func WithConfig(yaml string) PrometheusOption {
	return func(o *promOptions) { o.config = yaml }
}

// WithArgs adds command-line flags to the server's.
func WithArgs(args ...string) PrometheusOption {
	return func(o *promOptions) { o.args = append(o.args, args...) }
}

const defaultPrometheusConfig = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
`

// StartPrometheus starts a Prometheus server on a free loopback port, waits
// until /-/ready answers 200 and stops it when the test ends.
func StartPrometheus(t testing.TB, opts ...PrometheusOption) *Prometheus {
	t.Helper()
	var o promOptions
	for _, opt := range opts {
		opt(&o)
	}
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	p := &Prometheus{
		Username:   o.user,
		Password:   o.password,
		DataDir:    filepath.Join(dir, "data"),
		ConfigFile: filepath.Join(dir, "prometheus.yml"),
	}
	if err := os.MkdirAll(p.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := o.config
	if cfg == "" {
		cfg = defaultPrometheusConfig
	}
	writeFile(t, p.ConfigFile, cfg)

	for i, text := range o.openMetrics {
		if !strings.HasSuffix(strings.TrimRight(text, "\n"), "# EOF") {
			text = strings.TrimRight(text, "\n") + "\n# EOF\n"
		}
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		f := filepath.Join(dir, fmt.Sprintf("backfill-%d.om", i))
		writeFile(t, f, text)
		promtool := Binary(t, "promtool")
		out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", f, p.DataDir).CombinedOutput()
		if err != nil {
			t.Fatalf("testinfra: promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
		}
	}

	args := []string{
		"--config.file=" + p.ConfigFile,
		"--storage.tsdb.path=" + p.DataDir,
		// Backfilled history may be old: keep it whatever its age.
		"--storage.tsdb.retention.time=100y",
		"--log.level=info",
	}
	if o.user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(o.password), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("testinfra: bcrypt: %v", err)
		}
		web := filepath.Join(dir, "web.yml")
		writeFile(t, web, fmt.Sprintf("basic_auth_users:\n  %s: %s\n", strconv.Quote(o.user), strconv.Quote(string(hash))))
		args = append(args, "--web.config.file="+web)
	}
	args = append(args, o.args...)

	p.proc, p.Addr = launch(t, "prometheus", bin, childEnv(nil), dir,
		func(addr string) []string { return append([]string{"--web.listen-address=" + addr}, args...) },
		func(ctx context.Context, addr string) error {
			_, err := p.get(ctx, "http://"+addr+"/-/ready")
			return err
		})
	p.URL = "http://" + p.Addr
	return p
}

// Get fetches path (such as "/api/v1/query?query=up") with the server's
// credentials and returns the body, failing the test unless the status is 200.
func (p *Prometheus) Get(t testing.TB, path string) []byte {
	t.Helper()
	body, err := p.get(context.Background(), p.URL+path)
	if err != nil {
		t.Fatalf("testinfra: prometheus: %v", err)
	}
	return body
}

func (p *Prometheus) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if p.Username != "" {
		req.SetBasicAuth(p.Username, p.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("GET %s: %w %s: %.200s", url, errStatus, resp.Status, body)
	}
	return body, nil
}

// Stop stops the server now (it is stopped at the end of the test anyway);
// its port is then closed.
func (p *Prometheus) Stop() { p.proc.Stop() }

// Log returns what the server logged so far.
func (p *Prometheus) Log() string { return p.proc.Log() }

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("testinfra: %v", err)
	}
}
