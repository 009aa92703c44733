package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// Restarts and replicas with real `ctl kayenta serve` processes sharing one
// versitygw bucket, behind a slow proxy in front of the real Prometheus so
// that executions stay running for a while; and executions against a
// Prometheus that is down, hangs or answers garbage.

// ctlBinary is the ctl binary TestMain builds.
var ctlBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ctl-kayenta-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctlBinary = filepath.Join(dir, "ctl")
	if err := buildCtl(ctlBinary); err != nil {
		fmt.Fprintln(os.Stderr, "building ctl:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildCtl runs `go build -o out ./cmd/ctl` from the module root.
func buildCtl(out string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return errors.New("no go.mod above the test's folder")
		}
		root = parent
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	// The service binary, as the container image builds it (no Helm, no client-go).
	build := exec.Command(goBin, "build", "-tags", "servicebinary", "-o", out, "./cmd/ctl")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return build.Run()
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ctlProcess is a running `ctl kayenta serve`.
type ctlProcess struct {
	name string
	base string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	err  error // set when done is closed
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeConfig writes yml to a kayenta.yml in a fresh folder.
func writeConfig(t testing.TB, yml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kayenta.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startCtl starts `ctl kayenta serve --config path --listen 127.0.0.1:PORT`
// and waits until /health answers. The process is killed when the test
// ends; its log is printed if the test failed.
func startCtl(t testing.TB, name, path string) *ctlProcess {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p, err := tryStartCtl(t, name, path)
		if err == nil {
			return p
		}
		// Another process may have taken the free port between our probe
		// and the child's listen: try another, a few times.
		if attempt == 3 || !strings.Contains(p.log.String(), "address already in use") {
			t.Fatalf("%s: %v\n%s", name, err, p.log.String())
		}
	}
}

func tryStartCtl(t testing.TB, name, path string) (*ctlProcess, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := &ctlProcess{name: name, base: "http://" + addr, log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(ctlBinary, "kayenta", "serve", "--config", path, "--listen", addr, "--log-level", "info")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return p, err
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s (pid %d) log:\n%s", p.name, p.cmd.Process.Pid, p.log.String())
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return p, fmt.Errorf("exited before answering: %v", p.err)
		default:
		}
		resp, err := client.Get(p.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	return p, errors.New("no answer on /health within 30s")
}

// kill SIGKILLs the process (if it still runs) and waits for it.
func (p *ctlProcess) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM and waits up to 30 s for a clean exit.
func (p *ctlProcess) stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: SIGTERM: %v", p.name, err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s: exit after SIGTERM: %v", p.name, p.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still running 30s after SIGTERM", p.name)
	}
}

// fetchHit is one range query that reached the proxy.
type fetchHit struct {
	replica string // first path segment of the proxied URL
	version string // the scope, from version="…" in the PromQL
	start   time.Time
}

// key names one side of one execution: the tests give every execution its
// own window start.
func (h fetchHit) key() string { return h.version + "@" + h.start.UTC().Format("15:04") }

// slowProxy stands in front of Prometheus. Each replica is configured with
// baseUrl PROXY/<replica>, so the proxy knows who asked; every range query
// is recorded and then held for delay before being forwarded.
type slowProxy struct {
	URL      string
	delay    atomic.Int64 // nanoseconds
	inflight atomic.Int64

	mu   sync.Mutex
	hits []fetchHit
	cond *sync.Cond
}

var versionRE = regexp.MustCompile(`version="([^"]+)"`)

func startSlowProxy(t testing.TB, target string) *slowProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{}
	p.cond = sync.NewCond(&p.mu)
	closing := make(chan struct{}) // releases held requests at cleanup
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = u.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		replica, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if !ok {
			http.Error(w, "want /<replica>/api/...", http.StatusNotFound)
			return
		}
		r.URL.Path, r.URL.RawPath = "/"+rest, ""
		if strings.HasSuffix(r.URL.Path, "/api/v1/query_range") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			form, _ := url.ParseQuery(string(body))
			for k, v := range r.URL.Query() {
				form[k] = append(form[k], v...)
			}
			h := fetchHit{replica: replica}
			if m := versionRE.FindStringSubmatch(form.Get("query")); m != nil {
				h.version = m[1]
			}
			if f, err := strconv.ParseFloat(form.Get("start"), 64); err == nil {
				h.start = time.Unix(int64(f), 0)
			}
			p.mu.Lock()
			p.hits = append(p.hits, h)
			p.cond.Broadcast()
			p.mu.Unlock()
			p.inflight.Add(1)
			defer p.inflight.Add(-1)
			select {
			case <-time.After(time.Duration(p.delay.Load())):
			case <-r.Context().Done():
				return
			case <-closing:
				http.Error(w, "proxy closing", http.StatusServiceUnavailable)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(closing)
		// Wake waiters so that they see their deadline.
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
		srv.Close()
	})
	p.URL = srv.URL
	return p
}

func (p *slowProxy) setDelay(d time.Duration) { p.delay.Store(int64(d)) }

// waitHit waits up to timeout for a hit matching fn.
func (p *slowProxy) waitHit(t testing.TB, timeout time.Duration, what string, fn func(fetchHit) bool) fetchHit {
	t.Helper()
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for _, h := range p.hits {
			if fn(h) {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fetch %s reached Prometheus within %s (hits: %v)", what, timeout, p.hits)
		}
		p.cond.Wait()
	}
}

// counts returns the hits per key, and the replicas that made them.
func (p *slowProxy) counts() (map[string]int, map[string][]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, who := map[string]int{}, map[string][]string{}
	for _, h := range p.hits {
		n[h.key()]++
		who[h.key()] = append(who[h.key()], h.replica)
	}
	return n, who
}

// doJSON is call without a testing.TB, for other goroutines: it sends body
// as JSON and decodes the answer into out.
func doJSON(client *http.Client, method, url string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %.300s: %w", method, url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, nil
}

var testClient = &http.Client{Timeout: 15 * time.Second}

// tryStartExecution starts a canary execution of the stored config over
// [start, start+length] and returns its id. It may run on any goroutine.
func tryStartExecution(base, configID, experiment string, start time.Time, length time.Duration) (string, error) {
	s, e := start.UTC().Format(time.RFC3339), start.Add(length).UTC().Format(time.RFC3339)
	body := map[string]any{"scopes": map[string]any{"default": map[string]any{
		"controlScope":    map[string]any{"scope": "baseline", "location": "", "step": 60, "start": s, "end": e},
		"experimentScope": map[string]any{"scope": experiment, "location": "", "step": 60, "start": s, "end": e},
	}}, "thresholds": map[string]any{"pass": 95, "marginal": 75}}
	var started map[string]any
	u := fmt.Sprintf("%s/canary/%s?application=guestbook&metricsAccountName=&configurationAccountName=&storageAccountName=", base, configID)
	code, err := doJSON(testClient, "POST", u, body, &started)
	if err != nil {
		return "", err
	}
	id, _ := started["canaryExecutionId"].(string)
	if code != 200 || id == "" {
		return "", fmt.Errorf("POST /canary/%s: %d %v", configID, code, started)
	}
	return id, nil
}

// startExecution is tryStartExecution on the test's goroutine.
func startExecution(t testing.TB, base, configID, experiment string, start time.Time, length time.Duration) string {
	t.Helper()
	id, err := tryStartExecution(base, configID, experiment, start, length)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// getExecution is GET /canary/{id}, which must answer 200.
func getExecution(t testing.TB, base, id string) map[string]any {
	t.Helper()
	var st map[string]any
	if code := call(t, "GET", base+"/canary/"+id, nil, &st); code != 200 {
		t.Fatalf("GET %s/canary/%s: %d %v", base, id, code, st)
	}
	return st
}

// waitComplete polls GET /canary/{id} on base until complete, at most timeout.
func waitComplete(t testing.TB, base, id string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := getExecution(t, base, id)
		if st["complete"] == true {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s not complete after %s: %v", id, timeout, st)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func scoreOf(st map[string]any) (float64, bool) {
	res, _ := st["result"].(map[string]any)
	jr, _ := res["judgeResult"].(map[string]any)
	sc, _ := jr["score"].(map[string]any)
	v, ok := sc["score"].(float64)
	return v, ok
}

// s3Keys lists the keys of bucket under prefix.
func (f *fixture) s3Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(f.s3.Client(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			keys = append(keys, *o.Key)
		}
	}
	return keys
}

// replicaSetup is a fixture, a slow proxy in front of its Prometheus, a
// fresh bucket and a config file per replica name.
type replicaSetup struct {
	f      *fixture
	proxy  *slowProxy
	bucket string
	yml    string // with PROXY_URL in place of the Prometheus URL
}

func newReplicaSetup(t *testing.T) *replicaSetup {
	f := newFixture(t)
	proxy := startSlowProxy(t, f.prom.URL)
	// The proxy holds fetches for seconds: a fetch timeout well above that,
	// and the fixture's short lease (2s), so a dead replica's executions
	// move quickly.
	yml := strings.Replace(f.kayentaYML("PROXY_URL", ""), "fetchTimeout: 3s", "fetchTimeout: 30s", 1)
	if !strings.Contains(yml, "fetchTimeout: 30s") || !strings.Contains(yml, "leaseTTL: 2s") {
		t.Fatal("kayentaYML's ctl.executions line changed: update newReplicaSetup")
	}
	yml, bucket := f.useBucket(t, yml)
	return &replicaSetup{f: f, proxy: proxy, bucket: bucket, yml: yml}
}

// config writes the config file of one replica: its Prometheus requests go
// through the proxy under /<replica>.
func (r *replicaSetup) config(t *testing.T, replica string) string {
	return writeConfig(t, strings.Replace(r.yml, "PROXY_URL", r.proxy.URL+"/"+replica, 1))
}

// TestRestartResumesExecution: SIGTERM while an execution runs leaves it
// running in the store with its lease released; the next start on the same
// config finishes it.
func TestRestartResumesExecution(t *testing.T) {
	r := newReplicaSetup(t)
	cfg := r.config(t, "a")
	a := startCtl(t, "A", cfg)
	configID := storeConfigID(t, a.base)

	r.proxy.setDelay(time.Hour) // held until A goes away
	start := windowStart.Add(2 * time.Minute)
	id := startExecution(t, a.base, configID, "canary-healthy", start, 20*time.Minute)
	r.proxy.waitHit(t, 20*time.Second, "from A", func(h fetchHit) bool { return h.replica == "a" })
	if st := getExecution(t, a.base, id); st["complete"] != false || st["status"] != "running" {
		t.Fatalf("before SIGTERM: %v", st)
	}

	a.stop(t)
	// Graceful: A released the execution's lease, so a restart need not
	// wait for it to expire.
	if keys := r.f.s3Keys(t, r.bucket, "kayenta/leases/canary-"+id); len(keys) != 0 {
		t.Errorf("lease still held after a graceful stop: %v", keys)
	}
	r.proxy.setDelay(100 * time.Millisecond)

	a2 := startCtl(t, "A'", cfg)
	st := waitComplete(t, a2.base, id, 45*time.Second)
	score, ok := scoreOf(st)
	if st["status"] != "succeeded" || !ok || score < 95 {
		t.Fatalf("after restart: status %v score %v (ok %v): %v", st["status"], score, ok, st)
	}
	if keys := r.f.s3Keys(t, r.bucket, "kayenta/metric_pairs/"); len(keys) != 1 {
		t.Errorf("metric_pairs objects: %v, want exactly 1", keys)
	}
}

// TestReplicaDeathTakeover: A dies (SIGKILL) with an execution running; B
// answers GETs for it all along and finishes it once A's lease expires.
func TestReplicaDeathTakeover(t *testing.T) {
	r := newReplicaSetup(t)
	a := startCtl(t, "A", r.config(t, "a"))
	b := startCtl(t, "B", r.config(t, "b"))
	configID := storeConfigID(t, a.base)

	r.proxy.setDelay(time.Hour)
	start := windowStart.Add(3 * time.Minute)
	id := startExecution(t, a.base, configID, "canary-healthy", start, 20*time.Minute)
	r.proxy.waitHit(t, 20*time.Second, "from A", func(h fetchHit) bool { return h.replica == "a" })
	// Any replica answers any GET.
	if st := getExecution(t, b.base, id); st["status"] != "running" {
		t.Fatalf("GET on B while A runs it: %v", st)
	}

	a.kill()
	killed := time.Now()
	r.proxy.setDelay(100 * time.Millisecond)
	st := waitComplete(t, b.base, id, 45*time.Second)
	took := time.Since(killed)
	score, ok := scoreOf(st)
	if st["status"] != "succeeded" || !ok || score < 95 {
		t.Fatalf("after takeover: status %v score %v: %v", st["status"], score, st)
	}
	t.Logf("B finished the execution %s after A's death", took.Round(10*time.Millisecond))

	// B really took over: its fetches reached Prometheus.
	n, who := r.proxy.counts()
	for _, side := range []string{"baseline", "canary-healthy"} {
		k := side + "@" + start.UTC().Format("15:04")
		if !strings.Contains(strings.Join(who[k], ","), "b") {
			t.Errorf("%s fetched by %v (%d times), want B among them", k, who[k], n[k])
		}
	}
	// Completed exactly once: one pair list, the one the result names.
	pairs := r.f.s3Keys(t, r.bucket, "kayenta/metric_pairs/")
	if len(pairs) != 1 || !strings.Contains(pairs[0], fmt.Sprint(st["metricSetPairListId"])) {
		t.Errorf("metric_pairs %v, want exactly the execution's %v", pairs, st["metricSetPairListId"])
	}
	var list []map[string]any
	if code := call(t, "GET", b.base+"/canary/executions?application=guestbook", nil, &list); code != 200 {
		t.Fatalf("GET /canary/executions: %d", code)
	}
	seen := 0
	for _, e := range list {
		if e["pipelineId"] == id {
			seen++
			if e["status"] != "succeeded" {
				t.Errorf("listed with status %v", e["status"])
			}
		}
	}
	if seen != 1 || len(list) != 1 {
		t.Errorf("execution listed %d times among %d, want once", seen, len(list))
	}
}

// TestEachExecutionWorkedOnce: 10 executions started on A and B in turn all
// complete, each worked by exactly one replica: the proxy sees each
// execution's two queries exactly once, from the same replica.
func TestEachExecutionWorkedOnce(t *testing.T) {
	r := newReplicaSetup(t)
	a := startCtl(t, "A", r.config(t, "a"))
	b := startCtl(t, "B", r.config(t, "b"))
	configID := storeConfigID(t, a.base)
	// Fetches outlast the resume period (the lease TTL, 2s): both replicas
	// look at every running execution at least once, and must leave alone
	// the ones the other works.
	r.proxy.setDelay(2500 * time.Millisecond)

	const n = 10
	ids := make([]string, n)
	errs := make([]error, n)
	starts := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		base := []string{a.base, b.base}[i%2]
		starts[i] = windowStart.Add(time.Duration(i) * time.Minute) // one window per execution
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = tryStartExecution(base, configID, "canary-healthy", starts[i], 15*time.Minute)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	pairIDs := map[string]bool{}
	for i, id := range ids {
		// Polled on the replica it was not started on.
		st := waitComplete(t, []string{b.base, a.base}[i%2], id, 60*time.Second)
		if _, ok := scoreOf(st); st["status"] != "succeeded" || !ok {
			t.Errorf("execution %d (%s): %v", i, id, st)
		}
		pairIDs[fmt.Sprint(st["metricSetPairListId"])] = true
	}
	counts, who := r.proxy.counts()
	worked := map[string]int{}
	for i, s := range starts {
		c, e := "baseline@"+s.UTC().Format("15:04"), "canary-healthy@"+s.UTC().Format("15:04")
		if counts[c] != 1 || counts[e] != 1 {
			t.Errorf("execution %d: control fetched %d times (%v), experiment %d times (%v); want once each", i, counts[c], who[c], counts[e], who[e])
			continue
		}
		if who[c][0] != who[e][0] {
			t.Errorf("execution %d: control fetched by %s, experiment by %s", i, who[c][0], who[e][0])
		}
		worked[who[c][0]]++
	}
	t.Logf("executions worked per replica: %v", worked)
	if len(pairIDs) != n {
		t.Errorf("%d distinct metricSetPairListIds, want %d", len(pairIDs), n)
	}
	if keys := r.f.s3Keys(t, r.bucket, "kayenta/metric_pairs/"); len(keys) != n {
		t.Errorf("%d metric_pairs objects, want %d", len(keys), n)
	}
	var list []map[string]any
	if code := call(t, "GET", a.base+"/canary/executions?application=guestbook&limit=50", nil, &list); code != 200 {
		t.Fatalf("GET /canary/executions: %d", code)
	}
	listed := map[any]int{}
	for _, e := range list {
		listed[e["pipelineId"]]++
	}
	for _, id := range ids {
		if listed[id] != 1 {
			t.Errorf("execution %s listed %d times", id, listed[id])
		}
	}
	if len(list) != n {
		t.Errorf("%d executions listed, want %d", len(list), n)
	}
}

// TestPrometheusFailures: an execution against a Prometheus that is down,
// hangs or answers HTML ends terminal, in bounded time, with a message that
// names the cause; GET shows complete with no result (Argo Rollouts then
// reports "Missing Score").
func TestPrometheusFailures(t *testing.T) {
	f := newFixture(t)

	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u := "http://" + ln.Addr().String()
		ln.Close()
		return u
	}()
	hanging := "http://" + testinfra.SilentServer(t)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body><h1>Welcome to nginx!</h1></body></html>")
	}))
	t.Cleanup(garbage.Close)

	for _, c := range []struct {
		name, url string
		want      []string // each must appear in exception.message
	}{
		{"down", closed, []string{"connection refused", `"error ratio"`}},
		{"hangs", hanging, []string{"timed out after 3s", `"error ratio"`}},
		{"garbage", garbage.URL, []string{`"error ratio"`, "not Prometheus API JSON", "text/html"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			yml, _ := f.useBucket(t, f.kayentaYML(c.url, ""))
			base, _ := serve(t, yml)
			configID := storeConfigID(t, base)
			began := time.Now()
			id := startExecution(t, base, configID, "canary-healthy", windowStart, windowLen)
			st := waitComplete(t, base, id, 20*time.Second) // fetchTimeout is 3s
			t.Logf("ended %s after %s", st["status"], time.Since(began).Round(10*time.Millisecond))
			if st["status"] != "terminal" || st["complete"] != true {
				t.Fatalf("status %v complete %v, want terminal: %v", st["status"], st["complete"], st)
			}
			if _, has := st["result"]; has {
				t.Errorf("a failed execution has a result: %v", st["result"])
			}
			if _, ok := scoreOf(st); ok {
				t.Error("a failed execution has a score")
			}
			exc, _ := st["exception"].(map[string]any)
			msg, _ := exc["message"].(string)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("exception.message %q does not name %q", msg, w)
				}
			}
			// Argo Rollouts' view: complete, but no score.
			if score, _ := pollScore(t, base, id); score != -1 {
				t.Errorf("Argo would read score %d, want Missing Score", score)
			}
		})
	}
}
