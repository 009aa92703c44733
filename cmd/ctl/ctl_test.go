package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/internal/testinfra"
)

// These tests run the real binary as separate processes.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ctl-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ctl")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ctl:", err)
		os.Exit(1)
	}
	// ctl runs ctl-kube (beside it) for distributed deployments.
	build = exec.Command("go", "build", "-o", filepath.Join(dir, "ctl-kube"), "../ctl-kube")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ctl-kube:", err)
		os.Exit(1)
	}
	code := testinfra.RunWithKube(m) // a control plane starts only if a test asks for it
	os.RemoveAll(dir)
	os.Exit(code)
}

func ctl(home string, stdin string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestConcurrentEdits: 20 ctl processes add accounts at once; the lock and
// atomic writes must keep every one of them.
func TestConcurrentEdits(t *testing.T) {
	home := t.TempDir()
	if out, err := ctl(home, "", "config", "canary", "prometheus", "enable"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := ctl(home, "", "config", "canary", "prometheus", "account", "add", fmt.Sprintf("prom-%02d", i),
				"--base-url", fmt.Sprintf("http://prom-%02d:9090", i))
			if err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	loaded, err := halconfig.NewStore(home, "").Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range loaded.Config.Deployment("default").Canary.Integration("prometheus").Accounts {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	if len(names) != n {
		t.Fatalf("%d accounts survived, want %d: %v", len(names), n, names)
	}
	for i, name := range names {
		if want := fmt.Sprintf("prom-%02d", i); name != want {
			t.Errorf("account %d = %s, want %s", i, name, want)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(home, ".config.tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temp files left: %v", matches)
	}
}

// TestKilledWriterLeavesWholeFile kills ctl processes at random points of
// their edits; the file must always parse as the old or the new config.
func TestKilledWriterLeavesWholeFile(t *testing.T) {
	home := t.TempDir()
	if out, err := ctl(home, "", "config", "canary", "prometheus", "enable"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i := range 30 {
		cmd := exec.Command(binary, "config", "canary", "prometheus", "account", "add", fmt.Sprintf("k-%02d", i), "--base-url", "http://k:9090")
		cmd.Env = append(os.Environ(), "CTL_HOME="+home)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i%10) * 300 * time.Microsecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if _, err := halconfig.NewStore(home, "").Load(); err != nil {
			t.Fatalf("after killing writer %d the config does not load: %v", i, err)
		}
	}
}

// TestSecretPromptFromStdin: a secret flag with no value reads one line
// from a non-terminal standard input, and the value is never echoed.
func TestSecretPromptFromStdin(t *testing.T) {
	home := t.TempDir()
	out, err := ctl(home, "TOPSECRET\n", "config", "canary", "aws", "account", "add", "my-s3", "--bucket", "b",
		"--access-key-id", "AK", "--secret-access-key")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Contains(out, "TOPSECRET") {
		t.Errorf("secret echoed: %s", out)
	}
	b, _ := os.ReadFile(filepath.Join(home, "config"))
	if !strings.Contains(string(b), "secretAccessKey: TOPSECRET") {
		t.Errorf("secret not stored:\n%s", b)
	}
	fi, _ := os.Stat(filepath.Join(home, "config"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

func TestExitCodes(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"version"}, 0},
		{[]string{"config", "canary", "--bogus"}, 2},
		{[]string{"config", "canary", "edit", "--default-metrics-account", "ghost"}, 1},
	} {
		_, err := ctl(home, "", tc.args...)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("ctl %s: exit %d, want %d", strings.Join(tc.args, " "), code, tc.code)
		}
	}
}

// TestSecretPromptOnTTY runs ctl on a pseudo-terminal: a secret flag with no
// value prompts, and what is typed is not echoed.
func TestSecretPromptOnTTY(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(binary, "config", "canary", "aws", "account", "add", "my-s3", "--bucket", "b",
		"--access-key-id", "AK", "--secret-access-key")
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var mu sync.Mutex
	var outB strings.Builder
	output := func() string { mu.Lock(); defer mu.Unlock(); return outB.String() }
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			outB.Write(buf[:n])
			mu.Unlock()
			if strings.Contains(output(), "secret-access-key: ") {
				select {
				case <-done:
				default:
					close(done)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("no prompt; output so far: %q", output())
	}
	if _, err := tty.Write([]byte("hunter2\r")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, output())
	}
	time.Sleep(50 * time.Millisecond)
	if strings.Contains(output(), "hunter2") {
		t.Errorf("typed secret was echoed: %q", output())
	}
	b, _ := os.ReadFile(filepath.Join(home, "config"))
	if !strings.Contains(string(b), "secretAccessKey: hunter2") {
		t.Errorf("secret not stored:\n%s", b)
	}
}
