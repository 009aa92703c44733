package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// distributedSmokeSetup configures home for a distributed deployment in a
// fresh namespace whose metrics account my-prometheus is prom, applies it,
// and applies the same config locally in a second home, whose service stands
// in for the in-cluster one: kwok's pods run nothing, so the smoke
// canaries reach the service with --service.
func distributedSmokeSetup(t *testing.T, kube *testinfra.Kube, prom *testinfra.Prometheus) (home, ns, serviceURL string) {
	t.Helper()
	ns = kube.Namespace(t, "ctl-smoke")
	home = t.TempDir()
	local := t.TempDir()
	t.Cleanup(func() {
		ctl(home, "", "deploy", "clean", "--yes")
		ctl(local, "", "deploy", "clean", "--yes")
	})
	account := [][]string{
		{"config", "canary", "enable"},
		{"config", "canary", "prometheus", "enable"},
		{"config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", prom.URL},
	}
	for _, args := range append(account,
		[]string{"config", "deploy", "edit", "--type", "distributed", "--account-name", kube.Context, "--namespace", ns, "--kubeconfig", kube.Kubeconfig},
		[]string{"deploy", "apply"}) {
		if out, err := ctl(home, "", args...); err != nil {
			t.Fatalf("ctl %v: %v: %s", args, err, out)
		}
	}
	for _, args := range append(account, []string{"deploy", "apply"}) {
		if out, err := ctl(local, "", args...); err != nil {
			t.Fatalf("ctl %v: %v: %s", args, err, out)
		}
	}
	return home, ns, readLocalState(t, local).URL
}

// kubeList lists objects at an API path and returns their metadata and
// the first container's args and env of their pod template.
type kubeObject struct {
	Metadata struct {
		Name        string            `json:"name"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Template struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				Containers []struct {
					Image string   `json:"image"`
					Args  []string `json:"args"`
					Env   []struct {
						Name, Value string
					} `json:"env"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

func kubeList(kube *testinfra.Kube, path string) ([]kubeObject, error) {
	resp, err := kube.HTTPClient().Get(kube.Server + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	var list struct{ Items []kubeObject }
	return list.Items, json.Unmarshal(b, &list)
}

// smokeObjects lists what a smoke run leaves in ns: sample app Deployments,
// Services, ServiceMonitors and Helm release Secrets.
func smokeObjects(t *testing.T, kube *testinfra.Kube, ns string) []string {
	t.Helper()
	var left []string
	for _, p := range []string{"/apis/apps/v1/namespaces/" + ns + "/deployments", "/api/v1/namespaces/" + ns + "/services",
		"/apis/monitoring.coreos.com/v1/namespaces/" + ns + "/servicemonitors", "/api/v1/namespaces/" + ns + "/secrets"} {
		items, err := kubeList(kube, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if strings.Contains(it.Metadata.Name, "ctl-smoke-") {
				left = append(left, p[strings.LastIndex(p, "/")+1:]+"/"+it.Metadata.Name)
			}
		}
	}
	return left
}

// fakeKubelet plays the kubelet for the sample app Deployments that appear
// in ns: it runs each one's container (the ctl binary with the Deployment's
// args and env) as a local process on a loopback port, lists the processes
// in the file_sd file sd for the test's Prometheus, and kills a process when
// its Deployment is deleted. The chart's contract with the sample app (args,
// env, labels) is what is exercised; only the pod network is not.
func fakeKubelet(t *testing.T, kube *testinfra.Kube, ns, sd string) (seen func() []kubeObject, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		deps    []kubeObject
		running = map[string]*exec.Cmd{}
		addrs   = map[string]string{}
		done    = make(chan struct{})
	)
	writeSD := func() {
		var targets []string
		for _, a := range addrs {
			targets = append(targets, a)
		}
		b, _ := json.Marshal([]map[string]any{{"targets": targets}})
		tmp := sd + ".tmp"
		os.WriteFile(tmp, b, 0o644)
		os.Rename(tmp, sd)
	}
	start := func(d kubeObject) {
		c := d.Spec.Template.Spec.Containers[0]
		cmd := exec.CommandContext(ctx, binary, c.Args...)
		cmd.Env = append(os.Environ(), "CTL_HOME="+t.TempDir())
		for _, e := range c.Env {
			if e.Name != "LISTEN" {
				cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
			}
		}
		cmd.Env = append(cmd.Env, "LISTEN=127.0.0.1:0")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Errorf("kubelet: %s: %v", d.Metadata.Name, err)
			return
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on http://")
		if !ok {
			t.Errorf("kubelet: %s printed %q", d.Metadata.Name, line)
			return
		}
		running[d.Metadata.Name] = cmd
		addrs[d.Metadata.Name] = u
		writeSD()
	}
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			items, err := kubeList(kube, "/apis/apps/v1/namespaces/"+ns+"/deployments")
			if err == nil {
				mu.Lock()
				present := map[string]bool{}
				for _, d := range items {
					if !strings.HasPrefix(d.Metadata.Labels["app.kubernetes.io/instance"], "ctl-smoke-") {
						continue
					}
					present[d.Metadata.Name] = true
					if _, ok := running[d.Metadata.Name]; !ok {
						deps = append(deps, d)
						start(d)
					}
				}
				for name, cmd := range running {
					if !present[name] {
						cmd.Process.Kill()
						cmd.Wait()
						delete(running, name)
						delete(addrs, name)
						writeSD()
					}
				}
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() []kubeObject {
			mu.Lock()
			defer mu.Unlock()
			return append([]kubeObject(nil), deps...)
		}, func() {
			cancel()
			<-done
			for _, cmd := range running {
				cmd.Wait()
			}
		}
}

// TestCanarySmokeDistributed: on a distributed deployment, the sample apps
// are installed as Deployments with scrape annotations in the service's
// namespace, their series are waited for in the configured Prometheus, the
// healthy canary passes, the faulty one fails, and the release is removed.
func TestCanarySmokeDistributed(t *testing.T) {
	kube := testinfra.SharedKube(t)
	sd := filepath.Join(t.TempDir(), "pods.json")
	os.WriteFile(sd, []byte("[]\n"), 0o644)
	// Two jobs scrape every pod, as when both the annotations and a
	// ServiceMonitor are honoured: the verdicts must not change.
	prom := testinfra.StartPrometheus(t, testinfra.WithConfig(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: kubernetes-pods
    file_sd_configs:
      - files: [`+strconv.Quote(sd)+`]
        refresh_interval: 1s
  - job_name: serviceMonitor/ctl-smoke
    file_sd_configs:
      - files: [`+strconv.Quote(sd)+`]
        refresh_interval: 1s
`))
	home, ns, serviceURL := distributedSmokeSetup(t, kube, prom)
	seen, stopKubelet := fakeKubelet(t, kube, ns, sd)
	defer stopKubelet()

	rep, stdout, _, err := smokeJSON(t, home, "--service", serviceURL, "--scrape-interval", "1s", "--duration", "15s")
	if err != nil {
		t.Fatalf("exit %d: %s", exitCode(err), stdout)
	}
	want := map[string]string{"healthy": "pass", "faulty": "fail"}
	for _, s := range rep.Scenarios {
		if s.Verdict != want[s.Scenario] || len(s.Metrics) != 2 || s.AnalysisID == "" {
			t.Errorf("scenario %s: verdict %s, score %v, error %q", s.Scenario, s.Verdict, s.Score, s.Error)
		}
	}
	if len(rep.Scenarios) != 2 {
		t.Errorf("scenarios: %s", stdout)
	}
	deps := seen()
	if len(deps) != 4 {
		t.Fatalf("%d sample app Deployments, want 4 (a baseline and a canary per scenario)", len(deps))
	}
	for _, d := range deps {
		a := d.Spec.Template.Metadata.Annotations
		if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "8080" {
			t.Errorf("%s: pod annotations %v", d.Metadata.Name, a)
		}
		if img := d.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "ghcr.io/ctlproject/ctl") {
			t.Errorf("%s: image %s, want the service's", d.Metadata.Name, img)
		}
	}
	if left := smokeObjects(t, kube, ns); len(left) > 0 {
		t.Errorf("left in namespace %s after the run: %v", ns, left)
	}
}

// serviceMonitorCRD is a minimal monitoring.coreos.com/v1 ServiceMonitor
// CRD, as the Prometheus Operator installs it (schema left open).
const serviceMonitorCRD = `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
"metadata":{"name":"servicemonitors.monitoring.coreos.com"},
"spec":{"group":"monitoring.coreos.com","scope":"Namespaced",
"names":{"plural":"servicemonitors","singular":"servicemonitor","kind":"ServiceMonitor","listKind":"ServiceMonitorList"},
"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`

// TestCanarySmokeDistributedNoSeries: when the configured Prometheus never
// shows the apps' series, the error says so and why, and the release,
// ServiceMonitor included, is removed; without --service, a service the
// API server cannot proxy to is reported before anything is created.
func TestCanarySmokeDistributedNoSeries(t *testing.T) {
	kube := testinfra.SharedKube(t)
	prom := testinfra.StartPrometheus(t)
	home, ns, serviceURL := distributedSmokeSetup(t, kube, prom)

	out, err := ctl(home, "", "canary", "smoke", "--scrape-interval", "1s")
	if exitCode(err) != 1 || !strings.Contains(out, "through the API server's service proxy") || !strings.Contains(out, "--service") {
		t.Errorf("smoke through a service proxy to a kwok pod: exit %d: %s", exitCode(err), out)
	}
	if left := smokeObjects(t, kube, ns); len(left) > 0 {
		t.Errorf("created before the service answered: %v", left)
	}
	// ctl canary run goes the same way to a distributed deployment's service.
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	os.WriteFile(cfg, []byte(`{"name":"c","applications":["a"],"judge":{"name":"NetflixACAJudge-v1.0"},
"metrics":[{"name":"m","query":{"type":"prometheus","customInlineTemplate":"PromQL:up"},"groups":["g"],"scopeName":"default","analysisConfigurations":{"canary":{"direction":"increase"}}}],
"classifier":{"groupWeights":{"g":100}}}`), 0o600)
	out, err = ctl(home, "", "canary", "run", "--canary-config", cfg, "--control", "a", "--experiment", "b", "--lookback", "1h")
	if exitCode(err) != 1 || !strings.Contains(out, "through the API server's service proxy") {
		t.Errorf("canary run on a distributed deployment: exit %d: %s", exitCode(err), out)
	}

	var crd any
	json.Unmarshal([]byte(serviceMonitorCRD), &crd)
	if code, body := kube.Do(t, http.MethodPost, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd); code != http.StatusCreated && code != http.StatusConflict {
		t.Fatalf("creating the ServiceMonitor CRD: %d %s", code, body)
	}
	// The API server serves the new resource a moment after creating it.
	for i := 0; ; i++ {
		if code, _ := kube.Do(t, http.MethodGet, "/apis/monitoring.coreos.com/v1/namespaces/"+ns+"/servicemonitors", nil); code == http.StatusOK {
			break
		} else if i == 100 {
			t.Fatalf("servicemonitors not served: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}

	cmd := exec.Command(binary, "canary", "smoke", "--service", serviceURL, "--scrape-interval", "5s",
		"--series-timeout", "8s", "--service-monitor", "--service-monitor-label", "release=kube-prometheus-stack")
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// While it waits for series, the ServiceMonitor selects the apps.
	var sms []kubeObject
	for i := 0; i < 300 && len(sms) == 0; i++ {
		time.Sleep(100 * time.Millisecond)
		sms, _ = kubeList(kube, "/apis/monitoring.coreos.com/v1/namespaces/"+ns+"/servicemonitors")
	}
	err = cmd.Wait()
	out = outb.String()
	if len(sms) != 1 || sms[0].Metadata.Labels["release"] != "kube-prometheus-stack" || !strings.HasSuffix(sms[0].Metadata.Name, "-ctl-sampleapp") {
		t.Errorf("ServiceMonitors during the run: %+v", sms)
	}
	for _, want := range []string{"the metrics account my-prometheus shows no series of the sample apps",
		"sample app pods run and are ready in namespace " + ns, "-ctl-sampleapp match its serviceMonitorSelector", "Removed Helm release ctl-smoke-"} {
		if !strings.Contains(out, want) {
			t.Errorf("no series: output lacks %q", want)
		}
	}
	if exitCode(err) != 1 {
		t.Errorf("no series: exit %d", exitCode(err))
	}
	t.Logf("output:\n%s", out)
	if left := smokeObjects(t, kube, ns); len(left) > 0 {
		t.Errorf("left in namespace %s after the run: %v", ns, left)
	}

	// Ctrl-C while it waits for series removes the release too.
	errOut, code := interruptAt(t, home, "4 of 4 ready", func() {
		if left := smokeObjects(t, kube, ns); len(left) == 0 {
			t.Errorf("no sample app objects while the run waits for series")
		}
	}, "canary", "smoke", "--service", serviceURL, "--scrape-interval", "1s", "--series-timeout", "5m")
	if code != 1 || !strings.Contains(errOut, "Interrupted") || !strings.Contains(errOut, "Removed Helm release") {
		t.Errorf("smoke after SIGINT: exit %d, stderr:\n%s", code, errOut)
	}
	if left := smokeObjects(t, kube, ns); len(left) > 0 {
		t.Errorf("left in namespace %s after SIGINT: %v", ns, left)
	}
}
