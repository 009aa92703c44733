package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/internal/testinfra"
)

// TestDeployDistributed: the user's path to Kubernetes, through the binary.
func TestDeployDistributed(t *testing.T) {
	kube := testinfra.SharedKube(t)
	ns := kube.Namespace(t, "ctl-cli")
	home := t.TempDir()
	for _, args := range [][]string{
		{"config", "canary", "enable"},
		{"config", "deploy", "edit", "--type", "distributed", "--account-name", kube.Context, "--namespace", ns, "--kubeconfig", kube.Kubeconfig},
	} {
		if out, err := ctl(home, "", args...); err != nil {
			t.Fatalf("ctl %v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() { ctl(home, "", "deploy", "clean", "--yes") })
	out, err := ctl(home, "", "deploy", "apply", "--wait", "--timeout", "90s")
	if err != nil || !strings.Contains(out, "installed (revision 1)") || !strings.Contains(out, "1 of 1 pods") {
		t.Fatalf("apply: %v: %s", err, out)
	}
	out, err = ctl(home, "", "deploy", "apply")
	if err != nil || !strings.Contains(out, "- No changes") {
		t.Errorf("no-op apply: %v: %s", err, out)
	}
	out, err = ctl(home, "", "deploy", "status", "-o", "json")
	if err != nil {
		t.Fatalf("status: %v: %s", err, out)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &st); err != nil {
		t.Fatal(err)
	}
	if st["revision"] != float64(1) || st["podsReady"] != float64(1) || st["namespace"] != ns {
		t.Errorf("status: %v", st)
	}
	if out, err := ctl(home, "", "deploy", "history"); err != nil || !strings.Contains(out, "Install complete") {
		t.Errorf("history: %v: %s", err, out)
	}
}
