package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

type localStatus struct {
	Running, Healthy bool
	Health           string
	Revision         int
	State            *struct {
		PID int    `json:"pid"`
		URL string `json:"url"`
	}
}

func deployStatus(t *testing.T, home string) localStatus {
	t.Helper()
	out, err := ctl(home, "", "deploy", "status", "-o", "json")
	if err != nil {
		t.Fatalf("deploy status: %v: %s", err, out)
	}
	var st localStatus
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return st
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestDeployLocal runs the embedded default (local) deployment end to end
// with real processes: apply, no-op apply, diff, change and restart,
// history, rollback, status, clean.
func TestDeployLocal(t *testing.T) {
	home := t.TempDir()
	t.Cleanup(func() { ctl(home, "", "deploy", "clean", "--yes") })
	if out, err := ctl(home, "", "config", "canary", "enable"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err := ctl(home, "", "deploy", "diff")
	if exitCode(err) != 1 || !strings.Contains(out, "has not been applied yet") {
		t.Errorf("diff before apply: exit %d: %s", exitCode(err), out)
	}
	if out, err := ctl(home, "", "deploy", "apply", "--dry-run"); err != nil || !strings.Contains(out, "Dry run") {
		t.Fatalf("dry run: %v: %s", err, out)
	}
	if st := deployStatus(t, home); st.Running || st.State != nil {
		t.Fatalf("dry run started something: %+v", st)
	}
	out, err = ctl(home, "", "deploy", "apply")
	if err != nil || !strings.Contains(out, "+ Deployment default started: http://127.0.0.1:") {
		t.Fatalf("apply: %v: %s", err, out)
	}
	st := deployStatus(t, home)
	if !st.Healthy || st.Revision != 1 {
		t.Fatalf("after apply: %+v", st)
	}
	resp, err := http.Get(st.State.URL + "/credentials")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("service not answering: %v", err)
	}
	resp.Body.Close()
	firstPID := st.State.PID

	out, err = ctl(home, "", "deploy", "apply")
	if err != nil || !strings.Contains(out, "- No changes") {
		t.Errorf("no-op apply: %v: %s", err, out)
	}
	if out, err := ctl(home, "", "deploy", "diff"); exitCode(err) != 0 || !strings.Contains(out, "No changes have been made") {
		t.Errorf("diff after apply: exit %d: %s", exitCode(err), out)
	}
	if st := deployStatus(t, home); st.State.PID != firstPID || st.Revision != 1 {
		t.Errorf("no-op apply restarted or made a revision: %+v", st)
	}

	ctl(home, "", "config", "canary", "prometheus", "enable")
	if out, err := ctl(home, "", "config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", "http://127.0.0.1:9"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err = ctl(home, "", "deploy", "diff")
	if exitCode(err) != 1 || !strings.Contains(out, "+ ADDED canary.serviceIntegrations[prometheus].accounts[my-prometheus].endpoint.baseUrl: http://127.0.0.1:9") ||
		!strings.Contains(out, "+++ apply/kayenta.yml") {
		t.Errorf("diff after change: exit %d: %s", exitCode(err), out)
	}
	out, err = ctl(home, "", "deploy", "apply")
	if err != nil || !strings.Contains(out, "restarted") {
		t.Fatalf("apply change: %v: %s", err, out)
	}
	st = deployStatus(t, home)
	if !st.Healthy || st.State.PID == firstPID || st.Revision != 2 {
		t.Errorf("after change: %+v", st)
	}
	if alive(firstPID) {
		t.Errorf("old process %d still alive", firstPID)
	}
	resp, _ = http.Get(st.State.URL + "/metricsServices")
	var svcs []map[string]any
	json.NewDecoder(resp.Body).Decode(&svcs)
	resp.Body.Close()
	// The user's account comes first (the default), then the embedded
	// Prometheus of `ctl canary smoke`.
	if len(svcs) != 2 || svcs[0]["name"] != "my-prometheus" || svcs[1]["name"] != "ctl-smoke-prometheus" {
		t.Errorf("restarted service does not have the new account: %v", svcs)
	}

	out, err = ctl(home, "", "deploy", "rollback")
	if err != nil || !strings.Contains(out, "Rolled back") {
		t.Fatalf("rollback: %v: %s", err, out)
	}
	out, _ = ctl(home, "", "deploy", "history")
	if !strings.Contains(out, "Rollback to 1") || !strings.Contains(out, "3 ") {
		t.Errorf("history: %s", out)
	}
	if out, err := ctl(home, "", "deploy", "diff"); exitCode(err) != 1 || !strings.Contains(out, "my-prometheus") {
		t.Errorf("after rollback the config differs from what runs: exit %d %s", exitCode(err), out)
	}

	// An invalid config applies nothing.
	ctl(home, "", "config", "canary", "edit", "--default-metrics-account", "ghost", "--no-validate")
	out, err = ctl(home, "", "deploy", "apply")
	if exitCode(err) != 1 || !strings.Contains(out, "nothing was applied") {
		t.Errorf("invalid config: exit %d: %s", exitCode(err), out)
	}
	if st := deployStatus(t, home); st.Revision != 3 || !st.Healthy {
		t.Errorf("invalid config changed the deployment: %+v", st)
	}

	pid := deployStatus(t, home).State.PID
	if out, err := ctl(home, "", "deploy", "clean"); exitCode(err) != 2 || !strings.Contains(out, "--yes") {
		t.Errorf("clean without --yes on a pipe: exit %d: %s", exitCode(err), out)
	}
	if out, err := ctl(home, "", "deploy", "clean", "--yes"); err != nil || !strings.Contains(out, "Removed") {
		t.Fatalf("clean: %v: %s", err, out)
	}
	if alive(pid) {
		t.Errorf("process %d survived clean", pid)
	}
	if st := deployStatus(t, home); st.Running || st.Health != "not deployed" {
		t.Errorf("after clean: %+v", st)
	}
	if out, _ := ctl(home, "", "deploy", "clean", "--yes"); !strings.Contains(out, "Nothing to clean") {
		t.Errorf("second clean: %s", out)
	}
}

// alive reports whether pid runs and is not a zombie waiting to be reaped.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(stat), ") Z ")
}
