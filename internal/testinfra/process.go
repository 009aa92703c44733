package testinfra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds how long a server may take to become ready.
const StartTimeout = 60 * time.Second

// stopTimeout is how long a server gets to exit after SIGTERM before SIGKILL.
const stopTimeout = 10 * time.Second

// process is a server started by a helper.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error
	stop    sync.Once
}

// startProcess starts bin with args, its output going to logPath. It does not
// wait for readiness.
func startProcess(name, bin string, args, env []string, dir, logPath string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own copy
	fmt.Fprintf(logf, "$ %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop terminates the process (SIGTERM, then SIGKILL) and waits for it. It
// is idempotent.
func (p *process) Stop() {
	p.stop.Do(func() {
		if p.exited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// Log returns what the process wrote so far.
func (p *process) Log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read log %s: %v)", p.logPath, err)
	}
	const max = 64 << 10
	if len(b) > max {
		return "...\n" + string(b[len(b)-max:])
	}
	return string(b)
}

// waitReady polls ready until it returns nil, the process exits or
// StartTimeout passes.
func (p *process) waitReady(ready func(ctx context.Context) error) error {
	deadline := time.Now().Add(StartTimeout)
	delay := 10 * time.Millisecond
	var last error
	for {
		if p.exited() {
			return fmt.Errorf("%s exited before it was ready: %v", p.name, p.waitErr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last = ready(ctx)
		cancel()
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %v", p.name, StartTimeout, last)
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// launch starts a server on a free loopback port and waits until it is
// ready. args receives the chosen host:port. When the server exits before it
// is ready because the port was taken meanwhile, it retries on another port.
// The server is stopped in t.Cleanup, and its log is shown if t failed.
func launch(t testing.TB, name, bin string, env []string, dir string,
	args func(addr string) []string, ready func(ctx context.Context, addr string) error) (*process, string) {
	t.Helper()
	logDir := t.TempDir()
	for attempt := 1; ; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			t.Fatalf("testinfra: %s: %v", name, err)
		}
		logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", name, attempt))
		p, err := startProcess(name, bin, args(addr), env, dir, logPath)
		if err != nil {
			t.Fatalf("testinfra: %v", err)
		}
		start := time.Now()
		err = p.waitReady(func(ctx context.Context) error { return ready(ctx, addr) })
		if err == nil {
			t.Cleanup(func() {
				p.Stop()
				if t.Failed() {
					t.Logf("testinfra: log of %s on %s:\n%s", name, addr, p.Log())
				}
			})
			t.Logf("testinfra: %s ready on %s in %v", name, addr, time.Since(start).Round(time.Millisecond))
			return p, addr
		}
		p.Stop()
		log := p.Log()
		if attempt < 5 && strings.Contains(log, "address already in use") {
			continue
		}
		t.Fatalf("testinfra: %v\nlog of %s:\n%s", err, name, log)
	}
}

// freeAddr returns a 127.0.0.1 address with a port that was free just now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("no free loopback port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// childEnv is the environment of the test minus variables that would change
// the servers' behaviour behind the helper's back.
func childEnv(drop []string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		keep := true
		for _, prefix := range drop {
			if strings.HasPrefix(kv, prefix) {
				keep = false
				break
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// errStatus is returned by readiness probes that got an unexpected status.
var errStatus = errors.New("unexpected status")
