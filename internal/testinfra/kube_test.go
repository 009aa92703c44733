package testinfra_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// TestMain runs every test of the package with the shared cluster of
// SharedKube available, and stops it at the end.
func TestMain(m *testing.M) { os.Exit(testinfra.RunWithKube(m)) }

// The Go side and hack/kube must agree on the version (KubeBinDir is named
// after it, and the API server must report it).
func TestKubeVersionMatchesHackKube(t *testing.T) {
	gomod, err := os.ReadFile("../../hack/kube/kube/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^require k8s.io/kubernetes (\S+)$`).FindSubmatch(gomod); m == nil || string(m[1]) != testinfra.KubeVersion {
		t.Errorf("hack/kube/kube/go.mod requires k8s.io/kubernetes %q, KubeVersion is %q", m, testinfra.KubeVersion)
	}
	script, err := os.ReadFile("../../hack/kube/kube.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "\nK8S_VERSION="+testinfra.KubeVersion+"\n") {
		t.Errorf("hack/kube/kube.sh does not set K8S_VERSION=%s", testinfra.KubeVersion)
	}
}

func TestFindKubeMissing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBE_BIN_DIR", dir)
	if got := testinfra.KubeBinDir(); got != dir {
		t.Fatalf("KubeBinDir() = %q, want $KUBE_BIN_DIR %q", got, dir)
	}
	_, err := testinfra.FindKube()
	if err == nil || !strings.Contains(err.Error(), "run hack/testinfra/ensure.sh (make test does)") || !strings.Contains(err.Error(), "kube-apiserver") {
		t.Fatalf("FindKube error = %v, want the missing binaries and the ensure.sh hint", err)
	}
}

func TestSharedKube(t *testing.T) {
	k := testinfra.SharedKube(t)
	if again := testinfra.SharedKube(t); again != k {
		t.Fatalf("SharedKube returned another cluster the second time")
	}
	if !strings.HasPrefix(k.Server, "https://127.0.0.1:") || k.Context != testinfra.KubeContext {
		t.Fatalf("Server = %q, Context = %q", k.Server, k.Context)
	}
	// The admin kubeconfig works on its own (what Helm will be given).
	c, server, ns := kubeconfigClient(t, k.Kubeconfig, k.Context)
	if server != k.Server || ns != "default" {
		t.Fatalf("kubeconfig: server %q namespace %q", server, ns)
	}
	var v struct{ GitVersion, Major, Minor string }
	getJSON(t, c, server+"/version", &v)
	// Helm checks a chart's kubeVersion against this: not v0.0.0-master.
	if v.GitVersion != testinfra.KubeVersion || v.Major != "1" || v.Minor != "37" || k.Version != testinfra.KubeVersion {
		t.Fatalf("/version = %+v, k.Version = %q; want %s", v, k.Version, testinfra.KubeVersion)
	}
	// RBAC is on: an anonymous request is refused.
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool(t, k.CAFile)}}}
	resp, err := anon.Get(k.Server + "/api/v1/namespaces")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous GET /api/v1/namespaces: %s, want 401 or 403", resp.Status)
	}
}

func TestKubeNamespace(t *testing.T) {
	k := testinfra.SharedKube(t)
	ns := k.Namespace(t, "Ns_Test")
	if !regexp.MustCompile(`^ns-test-[a-z0-9]{5}$`).MatchString(ns) {
		t.Fatalf("namespace %q, want ns-test-XXXXX", ns)
	}
	if other := k.Namespace(t, "Ns_Test"); other == ns {
		t.Fatalf("two namespaces named %q", ns)
	}
	var got struct {
		Status struct{ Phase string }
	}
	code, body := k.Do(t, http.MethodGet, "/api/v1/namespaces/"+ns, nil)
	if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil || got.Status.Phase != "Active" {
		t.Fatalf("GET namespace %s: %d %s", ns, code, body)
	}
}

// A Deployment posted as plain JSON gets a Ready pod on the kwok node: the
// controller-manager, the scheduler and kwok all work.
func TestKubeDeploymentReady(t *testing.T) {
	k := testinfra.SharedKube(t)
	ns := k.Namespace(t, "deploy")
	labels := map[string]string{"app": "ctl-analysis"}
	k.Create(t, "/apis/apps/v1/namespaces/"+ns+"/deployments", map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "ctl-analysis"},
		"spec": map[string]any{
			"replicas": 1,
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{"containers": []any{map[string]any{
					"name": "analysis", "image": "example.invalid/ctl-analysis:1",
					"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/health", "port": 8080}},
				}}},
			},
		},
	})
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	var last []byte
	for {
		var d struct {
			Status struct{ ReadyReplicas, AvailableReplicas int }
		}
		var code int
		code, last = k.Do(t, http.MethodGet, "/apis/apps/v1/namespaces/"+ns+"/deployments/ctl-analysis", nil)
		if err := json.Unmarshal(last, &d); code == http.StatusOK && err == nil && d.Status.ReadyReplicas == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment not ready after 60s: %s", last)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("deployment ready in %v", time.Since(start).Round(time.Millisecond))

	code, body := k.Do(t, http.MethodGet, "/api/v1/namespaces/"+ns+"/pods?labelSelector="+url.QueryEscape("app=ctl-analysis"), nil)
	var pods struct {
		Items []struct {
			Spec   struct{ NodeName string }
			Status struct {
				Phase      string
				PodIP      string
				Conditions []struct{ Type, Status string }
			}
		}
	}
	if err := json.Unmarshal(body, &pods); code != http.StatusOK || err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods: %d %v %s", code, err, body)
	}
	p := pods.Items[0]
	ready := false
	for _, c := range p.Status.Conditions {
		ready = ready || (c.Type == "Ready" && c.Status == "True")
	}
	if !ready || p.Status.Phase != "Running" || p.Spec.NodeName != testinfra.KubeNodeName || p.Status.PodIP == "" {
		t.Fatalf("pod = %+v, want Running and Ready on %s with an IP", p, testinfra.KubeNodeName)
	}
}

// A user whose RBAC grants one namespace is refused (403) in another, both
// through its HTTP client and through its kubeconfig.
func TestKubeUserRBAC(t *testing.T) {
	k := testinfra.SharedKube(t)
	own := k.Namespace(t, "alice-own")
	other := k.Namespace(t, "alice-other")
	u := k.NewUser(t, "alice", own)
	if u.Name != "alice" || len(u.Namespaces) != 1 || u.Namespaces[0] != own {
		t.Fatalf("user = %+v", u)
	}
	c, server, ns := kubeconfigClient(t, u.Kubeconfig, u.Context)
	if server != k.Server || ns != own {
		t.Fatalf("user kubeconfig: server %q namespace %q, want %q %q", server, ns, k.Server, own)
	}
	cm := func(name string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name}, "data": map[string]string{"k": "v"}}
	}
	for _, via := range []struct {
		name string
		do   func(method, path string, body any) (int, []byte)
	}{
		{"HTTPClient", func(m, p string, b any) (int, []byte) { return u.Do(t, m, p, b) }},
		{"kubeconfig", func(m, p string, b any) (int, []byte) { return doJSON(t, c, server, m, p, b) }},
	} {
		t.Run(via.name, func(t *testing.T) {
			for _, tc := range []struct {
				method, path string
				body         any
				want         int
			}{
				{http.MethodGet, "/api/v1/namespaces/" + own + "/pods", nil, http.StatusOK},
				{http.MethodPost, "/api/v1/namespaces/" + own + "/configmaps", cm("by-" + strings.ToLower(via.name)), http.StatusCreated},
				{http.MethodGet, "/apis/apps/v1/namespaces/" + own + "/deployments", nil, http.StatusOK},
				{http.MethodGet, "/api/v1/namespaces/" + other + "/pods", nil, http.StatusForbidden},
				{http.MethodPost, "/api/v1/namespaces/" + other + "/configmaps", cm("nope"), http.StatusForbidden},
				{http.MethodGet, "/api/v1/namespaces/" + other + "/secrets", nil, http.StatusForbidden},
				{http.MethodGet, "/api/v1/namespaces", nil, http.StatusForbidden},
			} {
				code, body := via.do(tc.method, tc.path, tc.body)
				if code != tc.want {
					t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.want)
					continue
				}
				if code == http.StatusForbidden && !strings.Contains(string(body), `User \"alice\"`) {
					t.Errorf("%s %s: 403 without the user's name: %s", tc.method, tc.path, body)
				}
			}
		})
	}
}

// A private cluster starts, answers and is gone after Stop.
func TestStartKube(t *testing.T) {
	k := testinfra.StartKube(t)
	if shared := testinfra.SharedKube(t); shared.Server == k.Server || shared.Dir == k.Dir {
		t.Fatalf("StartKube returned the shared cluster")
	}
	var v struct{ GitVersion string }
	getJSON(t, k.HTTPClient(), k.Server+"/version", &v)
	if v.GitVersion != testinfra.KubeVersion {
		t.Fatalf("/version = %+v", v)
	}
	k.Stop()
	addr := strings.TrimPrefix(k.Server, "https://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("API server port %s still open after Stop", addr)
	}
	k.Stop() // idempotent
}

// kubeconfigClient reads a kubeconfig as a Kubernetes client would (current
// context, embedded certificates) and returns an HTTP client for it, the
// server URL and the context's namespace.
func kubeconfigClient(t *testing.T, path, wantContext string) (*http.Client, string, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		CurrentContext string `yaml:"current-context"`
		Contexts       []struct {
			Name    string
			Context struct{ Cluster, User, Namespace string }
		}
		Clusters []struct {
			Name    string
			Cluster struct {
				Server string
				CA     string `yaml:"certificate-authority-data"`
			}
		}
		Users []struct {
			Name string
			User struct {
				Cert string `yaml:"client-certificate-data"`
				Key  string `yaml:"client-key-data"`
			}
		}
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("kubeconfig %s: %v", path, err)
	}
	if cfg.CurrentContext != wantContext {
		t.Fatalf("kubeconfig %s: current-context %q, want %q", path, cfg.CurrentContext, wantContext)
	}
	var cluster, user, ns string
	for _, c := range cfg.Contexts {
		if c.Name == cfg.CurrentContext {
			cluster, user, ns = c.Context.Cluster, c.Context.User, c.Context.Namespace
		}
	}
	dec := func(s string) []byte {
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("kubeconfig %s: %v", path, err)
		}
		return d
	}
	var server string
	pool := x509.NewCertPool()
	for _, c := range cfg.Clusters {
		if c.Name == cluster {
			server = c.Cluster.Server
			if !pool.AppendCertsFromPEM(dec(c.Cluster.CA)) {
				t.Fatalf("kubeconfig %s: bad certificate-authority-data", path)
			}
		}
	}
	var certs []tls.Certificate
	for _, u := range cfg.Users {
		if u.Name == user {
			pair, err := tls.X509KeyPair(dec(u.User.Cert), dec(u.User.Key))
			if err != nil {
				t.Fatalf("kubeconfig %s: %v", path, err)
			}
			certs = append(certs, pair)
		}
	}
	if server == "" || len(certs) != 1 {
		t.Fatalf("kubeconfig %s: context %q has no cluster %q or user %q:\n%s", path, cfg.CurrentContext, cluster, user, b)
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
	t.Cleanup(c.CloseIdleConnections)
	return c, server, ns
}

func doJSON(t *testing.T, c *http.Client, server, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, server+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func caPool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", caFile)
	}
	return pool
}
