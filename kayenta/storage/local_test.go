package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func (s *localStore) rawPut(t *testing.T, typ ObjectType, id, filename string, data []byte) {
	t.Helper()
	dir := filepath.Join(s.dir, typ.Group(), id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filename), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func newLocal(t *testing.T, dir string) Store {
	t.Helper()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLocal(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store { return newLocal(t, t.TempDir()) })
}

func TestLocalLayoutAndPermissions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "store")
	s := newLocal(t, dir)
	ctx := context.Background()
	mustPut(t, s, CanaryConfig, "cfg-1", "my-config.json", `{"name":"my-config"}`)
	mustPut(t, s, MetricSetPairList, "pairs-1", "", `[]`)
	l, err := s.AcquireLease(ctx, "exec-1", "me", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]fs.FileMode{
		".":                                  0o700,
		"canary_config":                      0o700,
		"canary_config/cfg-1":                0o700,
		"canary_config/cfg-1/my-config.json": 0o600,
		"metric_pairs/pairs-1/metric_set_pairs.json": 0o600,
		"leases/exec-1": 0o600,
		".lock":         0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v; want %v", rel, got, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "canary_config/cfg-1/my-config.json"))
	if err != nil || string(b) != `{"name":"my-config"}` {
		t.Fatalf("file content = %q, %v", b, err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "leases/exec-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lease file left after Release: %v", err)
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, localTmpDir))
	if len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	if err := s.Delete(ctx, CanaryConfig, "cfg-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "canary_config/cfg-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("id folder left after Delete: %v", err)
	}
}

// A symlink planted in the store cannot lead a read or write outside it.
func TestLocalSymlinkCannotEscape(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "metric_sets.json"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newLocal(t, dir)
	if err := os.MkdirAll(filepath.Join(dir, "metrics"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "metrics", "evil")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if b, err := s.Get(ctx, MetricSetList, "evil"); err == nil {
		t.Fatalf("Get through a symlink out of the store returned %q", b)
	}
	if err := s.Put(ctx, MetricSetList, "evil", "", []byte("overwrite")); err == nil {
		t.Fatal("Put through a symlink out of the store succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "metric_sets.json")); string(b) != "secret" {
		t.Fatalf("file outside the store changed: %q", b)
	}
}

func TestLocalNewErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewLocal(""); err == nil {
		t.Error("NewLocal(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewLocal(file)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("NewLocal(a file) = %v; want an error naming it", err)
	}
}

func TestLocalRemovesStaleTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newLocal(t, dir)
	stale := filepath.Join(dir, localTmpDir, "stale")
	fresh := filepath.Join(dir, localTmpDir, "fresh")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTmpAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	newLocal(t, dir)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

// Two stores on one folder behave as two replicas sharing it.
func TestLocalTwoInstances(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := newLocal(t, dir), newLocal(t, dir)
	mustPut(t, a, CanaryConfig, "cfg", "one.json", `{"v":1}`)
	mustGet(t, b, CanaryConfig, "cfg", `{"v":1}`)
	mustPut(t, b, CanaryConfig, "cfg", "two.json", `{"v":2}`)
	mustGet(t, a, CanaryConfig, "cfg", `{"v":2}`)
	for round := range 3 {
		winners := raceLeases(t, 20, fmt.Sprintf("race-%d", round), alternate(a, b))
		if len(winners) != 1 {
			t.Fatalf("round %d: %d winners %v; want one", round, len(winners), winners)
		}
	}
}

const helperEnv = "CTL_STORAGE_LEASE_HELPER"

// TestLocalLeaseAcrossProcesses races separate processes (this test binary
// re-executed) for one lease in one folder.
func TestLocalLeaseAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newLocal(t, dir)
	const n = 8
	start := time.Now().Add(500 * time.Millisecond).UnixNano()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*strings.Builder, n)
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d|proc-%d", helperEnv, dir, start, i))
		outs[i] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	won := 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i])
		}
		out := outs[i].String()
		switch {
		case strings.Contains(out, "RESULT won"):
			won++
		case strings.Contains(out, "RESULT held"):
		default:
			t.Fatalf("helper %d said:\n%s", i, out)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d processes won the lease; want exactly one", won, n)
	}
}

func TestLeaseHelperProcess(t *testing.T) {
	arg := os.Getenv(helperEnv)
	if arg == "" {
		t.Skip("helper process for TestLocalLeaseAcrossProcesses")
	}
	parts := strings.Split(arg, "|")
	startNanos, _ := strconv.ParseInt(parts[1], 10, 64)
	s, err := NewLocal(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Unix(0, startNanos)))
	// Hold the lease (if won) until every process has tried.
	_, err = s.AcquireLease(context.Background(), "exec-proc", parts[2], time.Minute)
	switch {
	case err == nil:
		fmt.Println("RESULT won")
	case errors.Is(err, ErrLeaseHeld):
		fmt.Println("RESULT held")
	default:
		t.Fatal(err)
	}
}
