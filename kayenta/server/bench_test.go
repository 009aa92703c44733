package server_test

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkService measures a real `ctl kayenta serve` process over the
// real Prometheus and S3 fixture:
//
//   - wall time of 100 executions started at once, all of which must
//     succeed (wall-100-s);
//   - GET /canary/{id} latency over 2,000+ sequential requests
//     (get-p50-ms, get-p99-ms; target p99 < 10 ms);
//   - the process's resident memory idle and after the 100 executions
//     (idle-rss-MB, loaded-rss-MB; target idle < 40 MB).
//
// Run: go test ./kayenta/server -run '^$' -bench Service -benchtime 1x
func BenchmarkService(b *testing.B) {
	const executions = 100
	const gets = 2000

	f := newFixture(b)
	// Production timings (the fixture's 3s fetch timeout and 2s lease are
	// for fast failure tests): the benchmark measures the service, not how
	// a busy machine meets short deadlines.
	yml := strings.Replace(f.kayentaYML(f.prom.URL, ""), "ctl.executions: {fetchTimeout: 3s, leaseTTL: 2s}", "ctl.executions: {fetchTimeout: 30s, leaseTTL: 30s}", 1)
	if !strings.Contains(yml, "fetchTimeout: 30s") {
		b.Fatal("kayentaYML's ctl.executions line changed: update the benchmark's timings")
	}
	yml, _ = f.useBucket(b, yml)
	p := startCtl(b, "bench", writeConfig(b, yml))
	configID := storeConfigID(b, p.base)
	idle := rssMB(b, p.cmd.Process.Pid)

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: executions}}
	var ids []string
	b.ResetTimer()
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		began := time.Now()
		batch, err := runExecutions(client, p.base, configID, executions, i)
		wall += time.Since(began)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, batch...)
	}
	b.StopTimer()
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-100-s")

	lat := make([]time.Duration, 0, gets)
	for i := range gets {
		began := time.Now()
		code, err := doJSON(client, "GET", p.base+"/canary/"+ids[i%len(ids)], nil, nil)
		lat = append(lat, time.Since(began))
		if err != nil || code != 200 {
			b.Fatalf("GET /canary/%s: %d %v", ids[i%len(ids)], code, err)
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.50), "get-p50-ms")
	b.ReportMetric(ms(0.99), "get-p99-ms")
	b.ReportMetric(idle, "idle-rss-MB")
	b.ReportMetric(rssMB(b, p.cmd.Process.Pid), "loaded-rss-MB")
}

// runExecutions starts n executions at once (each over its own 20-minute
// window of the backfill) and waits until every one has succeeded.
func runExecutions(client *http.Client, base, configID string, n, round int) ([]string, error) {
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := windowStart.Add(time.Duration((i+round)%10) * time.Minute)
			id, err := tryStartExecution(base, configID, "canary-healthy", start, 20*time.Minute)
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = id
			deadline := time.Now().Add(5 * time.Minute)
			for time.Now().Before(deadline) {
				var st map[string]any
				code, err := doJSON(client, "GET", base+"/canary/"+id, nil, &st)
				if err != nil || code != 200 {
					errs[i] = fmt.Errorf("GET /canary/%s: %d %v", id, code, err)
					return
				}
				if st["complete"] == true {
					if _, ok := scoreOf(st); st["status"] != "succeeded" || !ok {
						errs[i] = fmt.Errorf("execution %s ended %v: %v", id, st["status"], st["exception"])
					}
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			errs[i] = fmt.Errorf("execution %s not complete after 5 minutes", id)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// rssMB reads VmRSS of a process from /proc, in MB (2^20 bytes).
func rssMB(b *testing.B, pid int) float64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("reading VmRSS: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
