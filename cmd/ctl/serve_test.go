package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestKayentaServe starts the service as a user would, checks it answers,
// and stops it with SIGTERM (graceful shutdown, exit 0).
func TestKayentaServe(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kayenta.yml")
	os.WriteFile(cfg, []byte(`kayenta:
  prometheus:
    enabled: true
    accounts:
      - name: my-prometheus
        endpoint: {baseUrl: "http://127.0.0.1:9"}
  local:
    enabled: true
    accounts:
      - name: local
        rootDirectory: `+filepath.Join(dir, "data")+`
redis.connection: redis://localhost:6379
`), 0o600)
	addr := freePort(t)
	cmd := exec.Command(binary, "kayenta", "serve", "--config", cfg, "--listen", addr)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, `"status":"UP"`) {
		t.Fatalf("no health: %q\n%s", body, logs.String())
	}
	resp, err := http.Get("http://" + addr + "/credentials")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"name":"my-prometheus"`) || !strings.Contains(string(b), `"name":"local"`) {
		t.Errorf("credentials: %s", b)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown within 15s")
	}
	if !strings.Contains(logs.String(), "redis.connection") {
		t.Errorf("unknown key not reported:\n%s", logs.String())
	}
}

func TestKayentaServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kayenta.yml")
	os.WriteFile(cfg, []byte("server.port: eighty\n"), 0o600)
	out, err := exec.Command(binary, "kayenta", "serve", "--config", cfg).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v: %s", err, out)
	}
	if !strings.Contains(string(out), "kayenta.yml:1:") || !strings.Contains(string(out), "server.port") {
		t.Errorf("error does not name the line and key: %s", out)
	}
}
