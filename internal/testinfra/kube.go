package testinfra

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A real Kubernetes control plane on loopback for the tests that install
// ctl's service with the Helm SDK.
//
// The binaries (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok) are built once by hack/kube/build.sh, which
// hack/testinfra/ensure.sh (and so make test) runs, into KubeBinDir. The test
// binary starts them itself, with the flags of hack/kube/kube.sh (keep the two
// in step), so that they die with it.
//
// Starting a cluster takes several seconds, so a package's tests share one:
//
//	func TestMain(m *testing.M) { os.Exit(testinfra.RunWithKube(m)) }
//
//	func TestInstall(t *testing.T) {
//		k := testinfra.SharedKube(t)   // started on first use, stopped by RunWithKube
//		ns := k.Namespace(t, "install") // a fresh namespace per test, deleted after it
//		...helm with k.Kubeconfig / k.Context, namespace ns...
//	}
//
// StartKube gives a test a private cluster instead, stopped when the test ends.

// KubeVersion is the Kubernetes version hack/kube builds; the API server
// reports it as its gitVersion (Helm's kubeVersion checks see it).
const KubeVersion = "v1.37.2"

// KubeContext is the context name in the admin kubeconfig.
const KubeContext = "ctl-testinfra"

// KubeNodeName is the kwok fake node on which scheduled Pods become
// Running and Ready without containers.
const KubeNodeName = "kwok-node-0"

// kubeBinaries are the programs hack/kube/build.sh builds into KubeBinDir.
var kubeBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// kwokStages are the kwok stage files build.sh copies into KubeBinDir/kwok-stages.
var kwokStages = []string{"node-initialize.yaml", "node-heartbeat.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"}

// kubeHint ends the error for missing binaries.
const kubeHint = "run hack/testinfra/ensure.sh (make test does)"

// KubeBinDir is where the control-plane binaries are looked up: $KUBE_BIN_DIR
// when set, else ${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/kube-<KubeVersion>,
// as in hack/kube/kube.sh.
func KubeBinDir() string {
	if d := os.Getenv("KUBE_BIN_DIR"); d != "" {
		return d
	}
	c, err := os.UserCacheDir()
	if err != nil {
		c = filepath.Join(os.TempDir(), "ctl-testinfra-cache")
	}
	return filepath.Join(c, "ctl-testinfra", "kube-"+KubeVersion)
}

// FindKube checks that every control-plane binary and kwok stage file is in
// KubeBinDir and returns that directory, or an error that says what is
// missing and how to build it.
func FindKube() (string, error) {
	dir := KubeBinDir()
	var missing []string
	for _, b := range kubeBinaries {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	for _, s := range kwokStages {
		if _, err := os.Stat(filepath.Join(dir, "kwok-stages", s)); err != nil {
			missing = append(missing, "kwok-stages/"+s)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("Kubernetes control-plane binaries missing in %s (%s): %s", dir, strings.Join(missing, ", "), kubeHint)
	}
	return dir, nil
}

// Kube is a Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver
// (RBAC on), kube-controller-manager, kube-scheduler and kwok with one fake
// node, KubeNodeName. Deployments get Ready pods; nothing can connect to a
// pod (pod IPs are only strings). Its methods are safe for concurrent use.
type Kube struct {
	// Kubeconfig is the path of the admin's kubeconfig (a client
	// certificate in system:masters; certificates embedded), whose current
	// context is Context, namespace "default".
	Kubeconfig string
	// Context is the context name in Kubeconfig, KubeContext.
	Context string
	// Server is the API server's URL, https://127.0.0.1:PORT.
	Server string
	// CAFile is the PEM of the cluster CA, which signed the API server's
	// serving certificate and every client certificate.
	CAFile string
	// AdminCertFile and AdminKeyFile are the admin's client certificate and
	// key (PEM), the ones in Kubeconfig.
	AdminCertFile, AdminKeyFile string
	// EtcdURL is etcd's client URL, http://127.0.0.1:PORT.
	EtcdURL string
	// Version is the version the API server reports, KubeVersion.
	Version string
	// Dir holds the cluster's state: pki/, data/ (etcd), logs/.
	Dir string

	shared bool
	ca     *x509.Certificate
	caKey  crypto.Signer
	pool   *x509.CertPool
	client *http.Client
	procs  []*process // in start order
	stop   sync.Once
}

// StartKube starts a private cluster for this test in a temporary directory
// and stops it when the test ends; the components' logs are shown if the test
// failed. Prefer SharedKube: a start takes several seconds.
func StartKube(t testing.TB) *Kube {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	k, err := startKube(dir, t.Logf)
	if err != nil {
		t.Fatalf("testinfra: %v", err)
	}
	t.Cleanup(k.Stop)
	k.showLogsOnFailure(t)
	t.Logf("testinfra: kube %s ready at %s in %v", k.Version, k.Server, time.Since(start).Round(time.Millisecond))
	return k
}

var shared struct {
	main atomic.Bool // RunWithKube is running the tests
	once sync.Once
	kube *Kube
	err  error
	dir  string
	took time.Duration
}

// SharedKube returns the cluster shared by the tests of this test binary,
// starting it on first use in a temporary directory (later calls wait for
// that start). The package's TestMain must run its tests with RunWithKube,
// which stops the cluster at the end:
//
//	func TestMain(m *testing.M) { os.Exit(testinfra.RunWithKube(m)) }
//
// Tests sharing the cluster should keep to their own namespaces (Namespace)
// and users (NewUser). When a test fails, what each component logged while it
// ran is shown.
func SharedKube(t testing.TB) *Kube {
	t.Helper()
	if !shared.main.Load() {
		t.Fatalf("testinfra: SharedKube needs the package's TestMain to run the tests with RunWithKube, which stops the cluster:\n" +
			"\tfunc TestMain(m *testing.M) { os.Exit(testinfra.RunWithKube(m)) }")
	}
	first := false
	shared.once.Do(func() {
		first = true
		start := time.Now()
		if _, shared.err = FindKube(); shared.err != nil {
			return
		}
		shared.dir, shared.err = os.MkdirTemp("", "ctl-kube-")
		if shared.err != nil {
			return
		}
		shared.kube, shared.err = startKube(shared.dir, t.Logf)
		if shared.err == nil {
			shared.kube.shared = true
		}
		shared.took = time.Since(start)
	})
	if shared.err != nil {
		t.Fatalf("testinfra: shared kube: %v", shared.err)
	}
	k := shared.kube
	if first {
		t.Logf("testinfra: shared kube %s ready at %s in %v (state in %s)", k.Version, k.Server, shared.took.Round(time.Millisecond), k.Dir)
	}
	k.showLogsOnFailure(t)
	return k
}

// RunWithKube runs the tests (m.Run) and then stops the cluster of
// SharedKube if a test started it; it returns m.Run's exit code. The state
// directory is deleted, except when a test failed: then its path (with
// logs/) is printed. Use it as TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testinfra.RunWithKube(m)) }
//
// or within a TestMain that does more: code := testinfra.RunWithKube(m).
func RunWithKube(m *testing.M) int {
	shared.main.Store(true)
	code := m.Run()
	shared.main.Store(false)
	if k := shared.kube; k != nil {
		k.stopProcs()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "testinfra: shared kube stopped; its state and logs are kept in %s\n", k.Dir)
		} else {
			_ = os.RemoveAll(k.Dir)
		}
	} else if shared.dir != "" && code == 0 {
		_ = os.RemoveAll(shared.dir)
	}
	return code
}

// Stop stops a cluster from StartKube now (it is stopped at the end of the
// test anyway). It is idempotent. On the shared cluster it does nothing:
// RunWithKube stops that one.
func (k *Kube) Stop() {
	if k.shared {
		return
	}
	k.stopProcs()
}

func (k *Kube) stopProcs() {
	k.stop.Do(func() {
		for i := len(k.procs) - 1; i >= 0; i-- { // newest first: etcd last
			k.procs[i].Stop()
		}
		k.client.CloseIdleConnections()
	})
}

// Log returns what the named component (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok) logged so far.
func (k *Kube) Log(component string) string {
	for _, p := range k.procs {
		if p.name == component {
			return p.Log()
		}
	}
	return fmt.Sprintf("(no component %q)", component)
}

// showLogsOnFailure logs, when t has failed at its end, what each
// component wrote since now.
func (k *Kube) showLogsOnFailure(t testing.TB) {
	offsets := make([]int64, len(k.procs))
	for i, p := range k.procs {
		if fi, err := os.Stat(p.logPath); err == nil {
			offsets[i] = fi.Size()
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for i, p := range k.procs {
			state := "running"
			if p.exited() {
				state = fmt.Sprintf("EXITED (%v)", p.waitErr)
			}
			t.Logf("testinfra: %s (%s) logged during the test (%s):\n%s", p.name, state, p.logPath, logSince(p.logPath, offsets[i], 16<<10))
		}
	})
}

// logSince returns what path got after offset, at most max bytes (the end).
func logSince(path string, offset int64, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	prefix := ""
	if fi.Size()-offset > max {
		offset = fi.Size() - max
		prefix = "...\n"
	}
	b, err := io.ReadAll(io.NewSectionReader(f, offset, fi.Size()-offset))
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	if len(b) == 0 {
		return "(nothing)"
	}
	return prefix + string(b)
}

// HTTPClient returns an HTTP client that trusts the cluster CA and presents
// the admin's client certificate.
func (k *Kube) HTTPClient() *http.Client { return k.client }

// Do sends a request as the admin to the API server: path is like
// "/api/v1/namespaces"; body is nil, a []byte or string sent as is, or a
// value sent as JSON (Content-Type application/json, or
// application/merge-patch+json for PATCH). It returns the status and body,
// failing the test only when there is no answer.
func (k *Kube) Do(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	return doJSON(t, k.client, k.Server, method, path, body)
}

// Create POSTs obj as the admin to path (a collection such as
// "/apis/apps/v1/namespaces/NS/deployments") and returns the created object,
// failing the test unless the API server answered 201 Created.
func (k *Kube) Create(t testing.TB, path string, obj any) []byte {
	t.Helper()
	code, body := k.Do(t, http.MethodPost, path, obj)
	if code != http.StatusCreated {
		t.Fatalf("testinfra: POST %s: status %d: %s", path, code, body)
	}
	return body
}

// Namespace creates a namespace named prefix-XXXXX (unique; prefix is made a
// valid name) and deletes it when the test ends.
func (k *Kube) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	gen := dnsLabel(prefix, 50)
	if gen == "" {
		gen = "test"
	}
	body := k.Create(t, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"generateName": gen + "-", "labels": map[string]string{"app.kubernetes.io/managed-by": "ctl-testinfra"}},
	})
	var ns struct{ Metadata struct{ Name string } }
	if err := json.Unmarshal(body, &ns); err != nil || ns.Metadata.Name == "" {
		t.Fatalf("testinfra: create namespace: %v: %s", err, body)
	}
	name := ns.Metadata.Name
	t.Cleanup(func() {
		// The controller-manager finishes the deletion in the background.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if code, body, err := request(ctx, k.client, k.Server, http.MethodDelete, "/api/v1/namespaces/"+name, nil); err != nil || (code != http.StatusOK && code != http.StatusAccepted && code != http.StatusNotFound) {
			t.Logf("testinfra: delete namespace %s: %d %v %s", name, code, err, body)
		}
	})
	return name
}

// KubeUser is a user of a Kube with a client certificate signed by the
// cluster CA (no groups but system:authenticated) and, through a Role and
// RoleBinding in each of its namespaces, every right in those namespaces and
// none elsewhere (beyond what RBAC gives every authenticated user, such as
// discovery).
type KubeUser struct {
	// Name is the user name (the certificate's common name).
	Name string
	// Namespaces are the namespaces the user may use.
	Namespaces []string
	// Kubeconfig is the path of the user's kubeconfig (certificates
	// embedded), whose current context is Context, its namespace the first
	// of Namespaces.
	Kubeconfig string
	// Context is the context name in Kubeconfig, NAME@ctl-testinfra.
	Context string
	// CertFile and KeyFile are the user's client certificate and key (PEM).
	CertFile, KeyFile string
	// Server is the API server's URL.
	Server string

	client *http.Client
}

// NewUser mints a client certificate for user name, writes a kubeconfig for
// it into a temporary directory of the test and grants it, in each of
// namespaces, every verb on every resource through a Role and RoleBinding
// named ctl-testinfra-NAME. It returns once the API server's authorizer
// allows the user in those namespaces. With no namespace the user may do
// nothing but what every authenticated user may.
//
// On the shared cluster, use a name no other test uses at the same time: a
// user's rights are the union of the Roles bound to its name.
func (k *Kube) NewUser(t testing.TB, name string, namespaces ...string) *KubeUser {
	t.Helper()
	if name == "" || strings.ContainsAny(name, "/%") {
		t.Fatalf("testinfra: NewUser: invalid user name %q", name)
	}
	dir := t.TempDir()
	cert, key, err := k.sign(pkix.Name{CommonName: name}, x509.ExtKeyUsageClientAuth, nil, 24*time.Hour)
	if err != nil {
		t.Fatalf("testinfra: NewUser: %v", err)
	}
	u := &KubeUser{
		Name:       name,
		Namespaces: namespaces,
		Kubeconfig: filepath.Join(dir, "kubeconfig"),
		Context:    name + "@" + KubeContext,
		CertFile:   filepath.Join(dir, "user.crt"),
		KeyFile:    filepath.Join(dir, "user.key"),
		Server:     k.Server,
	}
	writePEMs(t, u.CertFile, cert, u.KeyFile, key)
	ns := "default"
	if len(namespaces) > 0 {
		ns = namespaces[0]
	}
	writeFile(t, u.Kubeconfig, kubeconfig(k.Server, k.ca.Raw, u.Context, name, ns, cert, key))
	if u.client, err = k.clientFor(cert, key); err != nil {
		t.Fatalf("testinfra: NewUser: %v", err)
	}

	role := "ctl-testinfra-" + dnsLabel(name, 40)
	for _, n := range namespaces {
		k.Create(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+n+"/roles", map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
			"metadata": map[string]any{"name": role},
			"rules":    []any{map[string]any{"apiGroups": []string{"*"}, "resources": []string{"*"}, "verbs": []string{"*"}}},
		})
		k.Create(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+n+"/rolebindings", map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
			"metadata": map[string]any{"name": role},
			"subjects": []any{map[string]any{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}},
			"roleRef":  map[string]any{"kind": "Role", "apiGroup": "rbac.authorization.k8s.io", "name": role},
		})
	}
	// The authorizer learns of new bindings through a watch: wait until it does.
	for _, n := range namespaces {
		deadline := time.Now().Add(30 * time.Second)
		for !k.allowed(t, name, n) {
			if time.Now().After(deadline) {
				t.Fatalf("testinfra: NewUser: %s still not allowed in namespace %s after 30s", name, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return u
}

// allowed asks the API server (SubjectAccessReview) whether user may create
// deployments in namespace.
func (k *Kube) allowed(t testing.TB, user, namespace string) bool {
	t.Helper()
	code, body := k.Do(t, http.MethodPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews", map[string]any{
		"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": map[string]any{
			"user": user, "groups": []string{"system:authenticated"},
			"resourceAttributes": map[string]any{"namespace": namespace, "verb": "create", "group": "apps", "resource": "deployments"},
		},
	})
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("testinfra: SubjectAccessReview: status %d: %s", code, body)
	}
	var r struct{ Status struct{ Allowed bool } }
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("testinfra: SubjectAccessReview: %v: %s", err, body)
	}
	return r.Status.Allowed
}

// HTTPClient returns an HTTP client that trusts the cluster CA and presents
// the user's client certificate.
func (u *KubeUser) HTTPClient() *http.Client { return u.client }

// Do sends a request as the user; see Kube.Do.
func (u *KubeUser) Do(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	return doJSON(t, u.client, u.Server, method, path, body)
}

func doJSON(t testing.TB, c *http.Client, server, method, path string, body any) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, b, err := request(ctx, c, server, method, path, body)
	if err != nil {
		t.Fatalf("testinfra: %s %s: %v", method, path, err)
	}
	return code, b
}

func request(ctx context.Context, c *http.Client, server, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, server+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if r != nil {
		ct := "application/json"
		if method == http.MethodPatch {
			ct = "application/merge-patch+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// ---------------------------------------------------------------- start

// startKube starts the control plane with its state under dir. On error
// every started component is stopped again.
func startKube(dir string, logf func(string, ...any)) (_ *Kube, err error) {
	bin, err := FindKube()
	if err != nil {
		return nil, err
	}
	k := &Kube{Context: KubeContext, Dir: dir}
	defer func() {
		if err != nil {
			var logs strings.Builder
			for _, p := range k.procs {
				fmt.Fprintf(&logs, "\n--- log of %s (%s):\n%s", p.name, p.logPath, logSince(p.logPath, 0, 8<<10))
			}
			for i := len(k.procs) - 1; i >= 0; i-- {
				k.procs[i].Stop()
			}
			err = fmt.Errorf("start kube in %s: %w%s", dir, err, logs.String())
		}
	}()
	pkiDir, dataDir, logDir := filepath.Join(dir, "pki"), filepath.Join(dir, "data"), filepath.Join(dir, "logs")
	for _, d := range []string{pkiDir, dataDir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := k.makePKI(pkiDir); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	env := childEnv([]string{"KUBECONFIG=", "ETCD_", "KWOK_"})
	timings := []string{}
	t0 := time.Now()
	step := func(name string) {
		timings = append(timings, fmt.Sprintf("%s %v", name, time.Since(t0).Round(time.Millisecond)))
		t0 = time.Now()
	}

	// etcd: client and peer ports; no fsync (a test cluster need not survive a power cut).
	etcd, err := startRetrying("etcd", logDir, func() (*process, func(context.Context) error, error) {
		client, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		peer, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		k.EtcdURL = "http://" + client
		p, err := startProcess("etcd", filepath.Join(bin, "etcd"), []string{
			"--name=ctl-testinfra", "--data-dir=" + filepath.Join(dataDir, "etcd"),
			"--listen-client-urls=http://" + client, "--advertise-client-urls=http://" + client,
			"--listen-peer-urls=http://" + peer, "--initial-advertise-peer-urls=http://" + peer,
			"--initial-cluster=ctl-testinfra=http://" + peer,
			"--quota-backend-bytes=2147483648", "--snapshot-count=10000", "--unsafe-no-fsync",
		}, env, dir, filepath.Join(logDir, "etcd.log"))
		url := k.EtcdURL + "/health"
		return p, func(ctx context.Context) error { return get200(ctx, http.DefaultClient, url, `"health":"true"`) }, err
	})
	if err != nil {
		return nil, err
	}
	k.procs = append(k.procs, etcd)
	step("etcd")

	// kube-apiserver. --endpoint-reconciler-type=none: the default reconciler
	// refuses a loopback --advertise-address. ServiceAccount admission off:
	// Pods need no token and no "default" ServiceAccount.
	k.CAFile = filepath.Join(pkiDir, "ca.crt")
	if k.client, err = k.clientForFiles(k.AdminCertFile, k.AdminKeyFile); err != nil {
		return nil, err
	}
	api, err := startRetrying("kube-apiserver", logDir, func() (*process, func(context.Context) error, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		_, port, _ := net.SplitHostPort(addr)
		k.Server = "https://" + addr
		p, err := startProcess("kube-apiserver", filepath.Join(bin, "kube-apiserver"), []string{
			"--etcd-servers=" + k.EtcdURL,
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + port,
			"--endpoint-reconciler-type=none",
			"--cert-dir=" + pkiDir,
			"--tls-cert-file=" + filepath.Join(pkiDir, "apiserver.crt"), "--tls-private-key-file=" + filepath.Join(pkiDir, "apiserver.key"),
			"--client-ca-file=" + k.CAFile,
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-account-key-file=" + filepath.Join(pkiDir, "sa.pub"),
			"--service-account-signing-key-file=" + filepath.Join(pkiDir, "sa.key"),
			"--service-cluster-ip-range=10.0.0.0/24",
			"--authorization-mode=RBAC", "--allow-privileged=true",
			"--disable-admission-plugins=ServiceAccount",
		}, env, dir, filepath.Join(logDir, "kube-apiserver.log"))
		url := k.Server + "/readyz"
		return p, func(ctx context.Context) error { return get200(ctx, k.client, url, "ok") }, err
	})
	if err != nil {
		return nil, err
	}
	k.procs = append(k.procs, api)
	step("kube-apiserver")

	var v struct{ GitVersion string }
	vctx, vcancel := context.WithTimeout(context.Background(), 10*time.Second)
	b, err := getBody(vctx, k.client, k.Server+"/version", "")
	vcancel()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	k.Version = v.GitVersion
	if k.Version != KubeVersion {
		return nil, fmt.Errorf("kube-apiserver reports version %q, want %q (built without hack/kube's version ldflags? %s)", k.Version, KubeVersion, kubeHint)
	}

	k.Kubeconfig = filepath.Join(dir, "kubeconfig")
	adminCert, _ := os.ReadFile(k.AdminCertFile)
	adminKey, _ := os.ReadFile(k.AdminKeyFile)
	if err := os.WriteFile(k.Kubeconfig, []byte(kubeconfig(k.Server, k.ca.Raw, KubeContext, "admin", "default", adminCert, adminKey)), 0o600); err != nil {
		return nil, err
	}

	// controller-manager and scheduler: no serving port, no leader election.
	kcm, err := startProcess("kube-controller-manager", filepath.Join(bin, "kube-controller-manager"), []string{
		"--kubeconfig=" + k.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0",
		"--service-account-private-key-file=" + filepath.Join(pkiDir, "sa.key"), "--root-ca-file=" + k.CAFile,
		"--cluster-signing-cert-file=" + k.CAFile, "--cluster-signing-key-file=" + filepath.Join(pkiDir, "ca.key"),
		"--use-service-account-credentials=false", "--controllers=*",
	}, env, dir, filepath.Join(logDir, "kube-controller-manager.log"))
	if err != nil {
		return nil, err
	}
	k.procs = append(k.procs, kcm)
	sched, err := startProcess("kube-scheduler", filepath.Join(bin, "kube-scheduler"), []string{
		"--kubeconfig=" + k.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0",
	}, env, dir, filepath.Join(logDir, "kube-scheduler.log"))
	if err != nil {
		return nil, err
	}
	k.procs = append(k.procs, sched)

	// kwok and its fake node; ready when kwok has made the node Ready.
	node := map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{
			"name":        KubeNodeName,
			"annotations": map[string]string{"kwok.x-k8s.io/node": "fake"},
			"labels": map[string]string{"type": "kwok", "kubernetes.io/hostname": KubeNodeName,
				"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
		},
		"status": map[string]any{
			"allocatable": map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"},
			"capacity":    map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	code, body, err := request(ctx, k.client, k.Server, http.MethodPost, "/api/v1/nodes", node)
	cancel()
	if err != nil || code != http.StatusCreated {
		return nil, fmt.Errorf("create node %s: %d %v %s", KubeNodeName, code, err, body)
	}
	kwok, err := startRetrying("kwok", logDir, func() (*process, func(context.Context) error, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		_, port, _ := net.SplitHostPort(addr)
		args := []string{"--kubeconfig=" + k.Kubeconfig}
		for _, s := range kwokStages {
			args = append(args, "-c", filepath.Join(bin, "kwok-stages", s))
		}
		// Loopback node IP and server address: nothing (kubectl logs/exec)
		// ever targets another address; pod IPs from --cidr are only strings.
		args = append(args, "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
			"--node-ip=127.0.0.1", "--node-port="+port, "--server-address="+addr, "--cidr=10.244.0.0/16")
		p, err := startProcess("kwok", filepath.Join(bin, "kwok"), args, env, dir, filepath.Join(logDir, "kwok.log"))
		return p, func(ctx context.Context) error { return k.nodeReady(ctx) }, err
	})
	if err != nil {
		return nil, err
	}
	k.procs = append(k.procs, kwok)
	step("kwok node Ready")

	// The controller-manager is working once it made the "default" ServiceAccount.
	if err := kcm.waitReady(func(ctx context.Context) error {
		return get200(ctx, k.client, k.Server+"/api/v1/namespaces/default/serviceaccounts/default", "")
	}); err != nil {
		return nil, err
	}
	step("kube-controller-manager")
	if sched.exited() {
		return nil, fmt.Errorf("kube-scheduler exited: %v", sched.waitErr)
	}
	logf("testinfra: kube started: %s", strings.Join(timings, ", "))
	return k, nil
}

// startRetrying starts a component with start, which picks its ports, and
// waits until ready; when it exits early because a port was taken meanwhile,
// it tries again with other ports.
func startRetrying(name, logDir string, start func() (*process, func(context.Context) error, error)) (*process, error) {
	for attempt := 1; ; attempt++ {
		p, ready, err := start()
		if err != nil {
			return nil, err
		}
		err = p.waitReady(ready)
		if err == nil {
			return p, nil
		}
		p.Stop()
		log := p.Log()
		if attempt < 5 && strings.Contains(log, "address already in use") {
			_ = os.Rename(p.logPath, filepath.Join(logDir, fmt.Sprintf("%s-attempt%d.log", name, attempt)))
			continue
		}
		return nil, fmt.Errorf("%w\n--- log of %s:\n%s", err, name, tail(log, 8<<10))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

// nodeReady reports whether the fake node's Ready condition is True.
func (k *Kube) nodeReady(ctx context.Context) error {
	code, body, err := request(ctx, k.client, k.Server, http.MethodGet, "/api/v1/nodes/"+KubeNodeName, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET node %s: %w %d", KubeNodeName, errStatus, code)
	}
	var n struct {
		Status struct {
			Conditions []struct{ Type, Status string }
		}
	}
	if err := json.Unmarshal(body, &n); err != nil {
		return err
	}
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" && c.Status == "True" {
			return nil
		}
	}
	return fmt.Errorf("node %s not Ready yet", KubeNodeName)
}

func get200(ctx context.Context, c *http.Client, url, want string) error {
	_, err := getBody(ctx, c, url, want)
	return err
}

// getBody GETs url and returns the body of a 200 answer that contains want.
func getBody(ctx context.Context, c *http.Client, url, want string) ([]byte, error) {
	code, b, err := request(ctx, c, url, http.MethodGet, "", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK || !strings.Contains(string(b), want) {
		return nil, fmt.Errorf("GET %s: %w %d %s: %.200s", url, errStatus, code, http.StatusText(code), b)
	}
	return b, nil
}

// ---------------------------------------------------------------- pki

// makePKI writes, into dir, the cluster CA (ca.crt, ca.key), the API
// server's serving certificate, the admin's client certificate (group
// system:masters) and the service-account signing key pair. ECDSA P-256:
// fast to generate, and accepted by every component.
func (k *Kube) makePKI(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "ctl-testinfra-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	if k.ca, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	k.caKey = caKey
	k.pool = x509.NewCertPool()
	k.pool.AddCert(k.ca)
	caKeyPEM, err := keyPEM(caKey)
	if err != nil {
		return err
	}
	if err := writePEMFiles(filepath.Join(dir, "ca.crt"), pemCert(der), filepath.Join(dir, "ca.key"), caKeyPEM); err != nil {
		return err
	}

	cert, key, err := k.sign(pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth, &x509.Certificate{
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 0, 0, 1)},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
	}, 10*365*24*time.Hour)
	if err != nil {
		return err
	}
	if err := writePEMFiles(filepath.Join(dir, "apiserver.crt"), cert, filepath.Join(dir, "apiserver.key"), key); err != nil {
		return err
	}

	k.AdminCertFile, k.AdminKeyFile = filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key")
	cert, key, err = k.sign(pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth, nil, 10*365*24*time.Hour)
	if err != nil {
		return err
	}
	if err := writePEMFiles(k.AdminCertFile, cert, k.AdminKeyFile, key); err != nil {
		return err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	saPEM, err := keyPEM(saKey)
	if err != nil {
		return err
	}
	return writePEMFiles(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		filepath.Join(dir, "sa.key"), saPEM)
}

// sign makes a key and a certificate for subject signed by the cluster CA;
// extra supplies SANs. It returns both in PEM.
func (k *Kube) sign(subject pkix.Name, usage x509.ExtKeyUsage, extra *x509.Certificate, validity time.Duration) (certPEM, keyPEMBytes []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if extra != nil {
		tmpl.IPAddresses, tmpl.DNSNames = extra.IPAddresses, extra.DNSNames
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.ca, key.Public(), k.caKey)
	if err != nil {
		return nil, nil, err
	}
	kp, err := keyPEM(key)
	return pemCert(der), kp, err
}

func (k *Kube) clientForFiles(certFile, keyFile string) (*http.Client, error) {
	c, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	return k.clientFor(c, key)
}

func (k *Kube) clientFor(certPEM, keyPEM []byte) (*http.Client, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:             nil, // loopback only
			TLSClientConfig:   &tls.Config{RootCAs: k.pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
			IdleConnTimeout:   30 * time.Second,
		},
		Timeout: 60 * time.Second,
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err)
	}
	return n
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func writePEMFiles(certPath string, cert []byte, keyPath string, key []byte) error {
	if err := os.WriteFile(certPath, cert, 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, key, 0o600)
}

func writePEMs(t testing.TB, certPath string, cert []byte, keyPath string, key []byte) {
	t.Helper()
	if err := writePEMFiles(certPath, cert, keyPath, key); err != nil {
		t.Fatalf("testinfra: %v", err)
	}
}

// kubeconfig renders a kubeconfig with one cluster, user and context, the
// certificates embedded.
func kubeconfig(server string, caDER []byte, context, user, namespace string, cert, key []byte) string {
	b64 := base64.StdEncoding.EncodeToString
	q := strconv.Quote
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[4]s
  user:
    client-certificate-data: %[5]s
    client-key-data: %[6]s
contexts:
- name: %[7]s
  context:
    cluster: %[1]s
    user: %[4]s
    namespace: %[8]s
current-context: %[7]s
`, KubeContext, server, b64(pemCert(caDER)), q(user), b64(cert), b64(key), q(context), namespace)
}

var notLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsLabel makes s a DNS-1123 label of at most max characters (maybe empty).
func dnsLabel(s string, max int) string {
	s = notLabel.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > max {
		s = s[:max]
	}
	return strings.Trim(s, "-")
}
