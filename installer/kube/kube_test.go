package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/internal/testinfra"
)

func TestMain(m *testing.M) { os.Exit(testinfra.RunWithKube(m)) }

// distributed returns a home with the seed config pointed at the shared
// control plane, in a fresh namespace.
func distributed(t testing.TB, kube *testinfra.Kube, ns string) (string, *halconfig.DeploymentConfiguration) {
	home := t.TempDir()
	d := seed(t, home)
	d.DeploymentEnvironment = halconfig.DeploymentEnvironment{Type: halconfig.EnvDistributed,
		AccountName: kube.Context, Location: ns, KubeconfigFile: kube.Kubeconfig}
	return home, d
}

func kubeJSON(t *testing.T, kube *testinfra.Kube, path string, v any) {
	t.Helper()
	code, body := kube.Do(t, "GET", path, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatal(err)
	}
}

type deployment struct {
	Spec struct {
		Template struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"template"`
	} `json:"spec"`
}

type secret struct {
	Data map[string][]byte `json:"data"`
}

// TestKubeLifecycle: install with --wait (pods turn Ready on the kwok node),
// no-op apply (no new revision), config change (upgrade: the Secret and the
// pod template checksum change), diff, rollback, status, clean.
func TestKubeLifecycle(t *testing.T) {
	kube := testinfra.SharedKube(t)
	ns := "ctl-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	home, d := distributed(t, kube, ns)
	ctx := context.Background()
	var progress bytes.Buffer
	k, err := NewKube(home, d, &progress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Clean(ctx) })

	diff, err := k.Diff(ctx)
	if err != nil || !strings.Contains(diff, "+kind: Deployment") {
		t.Fatalf("diff before install: %v\n%s", err, diff)
	}
	res, err := k.Apply(ctx, ApplyOptions{Wait: true, Timeout: 90 * time.Second})
	if err != nil {
		t.Fatalf("install: %v\n%s", err, progress.String())
	}
	if !res.Changed || !strings.Contains(res.Action, "installed (revision 1)") {
		t.Errorf("install result: %+v", res)
	}
	if !strings.Contains(progress.String(), "1 of 1 pods") {
		t.Errorf("no readiness progress: %s", progress.String())
	}
	var dep1 deployment
	kubeJSON(t, kube, "/apis/apps/v1/namespaces/"+ns+"/deployments/"+ReleaseName, &dep1)
	sum1 := dep1.Spec.Template.Metadata.Annotations["checksum/config"]
	var sec1 secret
	kubeJSON(t, kube, "/api/v1/namespaces/"+ns+"/secrets/"+ReleaseName, &sec1)
	if sum1 == "" || !strings.Contains(string(sec1.Data["kayenta.yml"]), "my-prometheus") {
		t.Fatalf("installed objects: checksum %q, secret %q", sum1, sec1.Data["kayenta.yml"])
	}

	res, err = k.Apply(ctx, ApplyOptions{})
	if err != nil || res.Action != "unchanged" {
		t.Fatalf("no-op apply: %+v %v", res, err)
	}
	if diff, err := k.Diff(ctx); err != nil || diff != "" {
		t.Errorf("diff after apply: %v\n%s", err, diff)
	}
	revs, _ := k.History(ctx)
	if len(revs) != 1 {
		t.Fatalf("no-op apply made a revision: %+v", revs)
	}

	// A config change upgrades: new Secret content, new checksum, revision 2.
	d.Canary.Integration("prometheus").Accounts[0].Set("endpoint.baseUrl", "http://prometheus-2:9090")
	if diff, _ := k.Diff(ctx); !strings.Contains(diff, "checksum/config") {
		t.Errorf("diff after change lacks the checksum: %s", diff)
	}
	res, err = k.Apply(ctx, ApplyOptions{Wait: true, Timeout: 90 * time.Second})
	if err != nil || !strings.Contains(res.Action, "upgraded (revision 2)") {
		t.Fatalf("upgrade: %+v %v\n%s", res, err, progress.String())
	}
	var dep2 deployment
	kubeJSON(t, kube, "/apis/apps/v1/namespaces/"+ns+"/deployments/"+ReleaseName, &dep2)
	var sec2 secret
	kubeJSON(t, kube, "/api/v1/namespaces/"+ns+"/secrets/"+ReleaseName, &sec2)
	if dep2.Spec.Template.Metadata.Annotations["checksum/config"] == sum1 || !strings.Contains(string(sec2.Data["kayenta.yml"]), "prometheus-2") {
		t.Errorf("upgrade did not change the checksum or the Secret")
	}

	st, err := k.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ks := st.(*KubeStatus)
	if ks.Revision != 2 || ks.Status != "deployed" || ks.PodsReady != 1 || ks.PodsDesired != 1 || ks.Chart != "kayenta-0.1.0" || ks.Service == "" {
		t.Errorf("status: %+v", ks)
	}

	if _, err := k.Rollback(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var sec3 secret
	kubeJSON(t, kube, "/api/v1/namespaces/"+ns+"/secrets/"+ReleaseName, &sec3)
	if !bytes.Equal(sec3.Data["kayenta.yml"], sec1.Data["kayenta.yml"]) {
		t.Errorf("rollback did not restore the Secret")
	}
	revs, _ = k.History(ctx)
	if len(revs) != 3 || revs[2].Description != "Rollback to 1" {
		t.Errorf("history after rollback: %+v", revs)
	}

	found, err := k.Clean(ctx)
	if err != nil || !found {
		t.Fatalf("clean: %v %v", found, err)
	}
	if code, _ := kube.Do(t, "GET", "/apis/apps/v1/namespaces/"+ns+"/deployments/"+ReleaseName, nil); code != 404 {
		t.Errorf("deployment still there after clean: %d", code)
	}
	if found, err := k.Clean(ctx); err != nil || found {
		t.Errorf("second clean: %v %v", found, err)
	}
}

func TestKubeDryRunChangesNothing(t *testing.T) {
	kube := testinfra.SharedKube(t)
	ns := kube.Namespace(t, "ctl-dry")
	home, d := distributed(t, kube, ns)
	ctx := context.Background()
	var progress bytes.Buffer
	k, err := NewKube(home, d, &progress)
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Apply(ctx, ApplyOptions{DryRun: true})
	if err != nil || res.Action != "dry-run" {
		t.Fatalf("dry run: %+v %v\n%s", res, err, progress.String())
	}
	if !strings.Contains(progress.String(), "deployment/kayenta: accepted (dry run)") {
		t.Errorf("objects were not sent for server-side validation: %s", progress.String())
	}
	if revs, _ := k.History(ctx); len(revs) != 0 {
		t.Errorf("dry run made a release: %+v", revs)
	}
	if code, _ := kube.Do(t, "GET", "/apis/apps/v1/namespaces/"+ns+"/deployments/"+ReleaseName, nil); code != 404 {
		t.Errorf("dry run created the deployment: %d", code)
	}
	// A namespace that does not exist is not created by a dry run.
	d.DeploymentEnvironment.Location = "ctl-dry-missing"
	k2, _ := NewKube(home, d, &progress)
	if _, err := k2.Apply(ctx, ApplyOptions{DryRun: true}); err != nil {
		t.Fatalf("dry run into a missing namespace: %v", err)
	}
	if code, _ := kube.Do(t, "GET", "/api/v1/namespaces/ctl-dry-missing", nil); code != 404 {
		t.Errorf("dry run created the namespace: %d", code)
	}
}

func TestKubeFailures(t *testing.T) {
	kube := testinfra.SharedKube(t)
	ctx := context.Background()

	t.Run("api server unreachable", func(t *testing.T) {
		home, d := distributed(t, kube, "ctl-unreachable")
		cfg, _ := os.ReadFile(kube.Kubeconfig)
		bad := strings.ReplaceAll(string(cfg), kube.Server, "https://127.0.0.1:1")
		path := filepath.Join(home, "kubeconfig")
		os.WriteFile(path, []byte(bad), 0o600)
		d.DeploymentEnvironment.KubeconfigFile = path
		k, err := NewKube(home, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = k.Apply(ctx, ApplyOptions{})
		if err == nil || !strings.Contains(err.Error(), "cannot reach the Kubernetes API server at https://127.0.0.1:1") {
			t.Fatalf("want a clear unreachable error, got %v", err)
		}
		if time.Since(start) > 20*time.Second {
			t.Errorf("took %s to give up", time.Since(start))
		}
	})

	t.Run("rbac forbids the namespace", func(t *testing.T) {
		own := kube.Namespace(t, "ctl-own")
		user := kube.NewUser(t, "ctl-restricted", own)
		home, d := distributed(t, kube, "ctl-forbidden")
		d.DeploymentEnvironment.KubeconfigFile, d.DeploymentEnvironment.AccountName = user.Kubeconfig, user.Context
		k, err := NewKube(home, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.Apply(ctx, ApplyOptions{})
		if err == nil || !strings.Contains(err.Error(), "lacks permissions in namespace ctl-forbidden") {
			t.Fatalf("want a forbidden error naming the namespace, got %v", err)
		}
	})

	t.Run("wait names the pending pod", func(t *testing.T) {
		ns := kube.Namespace(t, "ctl-pending")
		home, d := distributed(t, kube, ns)
		dir := filepath.Join(home, "default", "service-settings")
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "kayenta.yml"), []byte("nodeSelector: {pool: no-such-pool}\n"), 0o600)
		k, err := NewKube(home, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer k.Clean(ctx)
		_, err = k.Apply(ctx, ApplyOptions{Wait: true, Timeout: 8 * time.Second})
		if err == nil || !strings.Contains(err.Error(), "is pending") || !strings.Contains(err.Error(), "pod kayenta-") {
			t.Fatalf("want an error naming the pending pod, got %v", err)
		}
	})

	t.Run("invalid config applies nothing", func(t *testing.T) {
		ns := kube.Namespace(t, "ctl-invalid")
		home, d := distributed(t, kube, ns)
		os.MkdirAll(filepath.Join(home, "default", "profiles"), 0o700)
		os.WriteFile(filepath.Join(home, "default", "profiles", "kayenta-local.yml"), []byte("server:\n  port: eighty\n"), 0o600)
		k, err := NewKube(home, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Apply(ctx, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "would not start") {
			t.Fatalf("want the generated config refused, got %v", err)
		}
		if revs, _ := k.History(ctx); len(revs) != 0 {
			t.Errorf("something was installed: %+v", revs)
		}
	})
}

// BenchmarkApply measures a no-op apply and an apply with one change
// against the real API server (make bench). Target: no-op under 1 s.
func BenchmarkApply(b *testing.B) {
	kube := testinfra.SharedKube(b)
	ns := kube.Namespace(b, "ctl-bench")
	home, d := distributed(b, kube, ns)
	ctx := context.Background()
	k, err := NewKube(home, d, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := k.Apply(ctx, ApplyOptions{}); err != nil {
		b.Fatal(err)
	}
	defer k.Clean(ctx)
	var noop, change time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := k.Apply(ctx, ApplyOptions{})
		if err != nil || res.Action != "unchanged" {
			b.Fatalf("%+v %v", res, err)
		}
		noop += time.Since(start)
		d.Canary.Integration("prometheus").Accounts[0].Set("endpoint.baseUrl", []string{"http://a:9090", "http://b:9090"}[i%2])
		start = time.Now()
		if _, err := k.Apply(ctx, ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
		change += time.Since(start)
	}
	b.ReportMetric(float64(noop.Milliseconds())/float64(b.N), "noop-ms")
	b.ReportMetric(float64(change.Milliseconds())/float64(b.N), "change-ms")
}
