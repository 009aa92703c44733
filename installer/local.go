package installer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/halconfig"
)

// LocalState is what a local deployment records about its process.
type LocalState struct {
	PID        int       `json:"pid" yaml:"pid"`
	Port       int       `json:"port" yaml:"port"`
	URL        string    `json:"url" yaml:"url"`
	ConfigSHA  string    `json:"configSha256" yaml:"configSha256"`
	StartedAt  time.Time `json:"startedAt" yaml:"startedAt"`
	Executable string    `json:"executable" yaml:"executable"`
	// MetricsPort is the loopback port reserved for the embedded Prometheus
	// of `ctl canary smoke` (the account SmokeMetricsAccount points at it).
	// It is kept across applies.
	MetricsPort int `json:"metricsPort,omitempty" yaml:"metricsPort,omitempty"`
}

// Local deploys the analysis service as a background process on this
// machine (ctl config deploy edit --type local, the default): no cluster,
// no root. Files live in $CTL_HOME/<deployment>/:
//
//	kayenta.yml               the generated service config
//	local-state.json          pid, port and URL of the running service
//	service-logs/kayenta.log  its log
//	kayenta-data/             its object store (when no S3 is configured)
//	history/applied.yaml      the deployment config at the last apply (the diff baseline)
type Local struct {
	Home       string
	Deployment *halconfig.DeploymentConfiguration
	// Executable is the ctl binary to run (default: this process's).
	Executable string
	// Progress receives progress lines (stderr).
	Progress io.Writer
	// HealthTimeout bounds the wait for /health (default 30s).
	HealthTimeout time.Duration

	// metricsPort is the port reserved for the smoke Prometheus: the
	// recorded one, or a free one picked once per Local.
	metricsPort int
}

func (l *Local) dir() string         { return filepath.Join(l.Home, l.Deployment.Name) }
func (l *Local) statePath() string   { return LocalStatePath(l.Home, l.Deployment.Name) }
func (l *Local) configPath() string  { return filepath.Join(l.dir(), "kayenta.yml") }
func (l *Local) logPath() string     { return filepath.Join(l.dir(), "service-logs", "kayenta.log") }
func (l *Local) dataDir() string     { return filepath.Join(l.dir(), "kayenta-data") }
func (l *Local) progress() io.Writer { return OrDiscard(l.Progress) }

// BaselinePath is the deployment config as last applied (Halyard keeps it
// in .backup/config; ours is per deployment under history/, which backups
// leave out so a restore never pretends something was deployed).
func BaselinePath(home, deployment string) string {
	return filepath.Join(home, deployment, "history", "applied.yaml")
}

// ApplyResult says what an apply did.
type ApplyResult struct {
	Changed bool
	URL     string
	// Action is "started", "restarted" or "unchanged" (local); "installed",
	// "upgraded" or "unchanged" (distributed).
	Action string
}

// Generate returns the kayenta.yml this deployment would run with.
// It includes the account SmokeMetricsAccount for the embedded Prometheus
// of `ctl canary smoke` on the reserved loopback port.
func (l *Local) Generate() (*Generated, error) {
	port, err := l.smokeMetricsPort()
	if err != nil {
		return nil, err
	}
	return generate(l.Deployment, l.Home, LocalMode, l.dataDir(), "http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// smokeMetricsPort returns the port reserved for the smoke Prometheus: the
// one in local-state.json, else a free one (chosen once per Local, and
// recorded by the next start).
func (l *Local) smokeMetricsPort() (int, error) {
	if l.metricsPort > 0 {
		return l.metricsPort, nil
	}
	if st, _ := l.readState(); st != nil && st.MetricsPort > 0 {
		l.metricsPort = st.MetricsPort
		return l.metricsPort, nil
	}
	p, err := freePort()
	if err != nil {
		return 0, err
	}
	l.metricsPort = p
	return p, nil
}

// Apply writes kayenta.yml and starts the service, or restarts it when
// the config changed. With no change and a healthy process it does nothing.
// A config the service would refuse changes nothing; so does a dry run.
func (l *Local) Apply(ctx context.Context, o ApplyOptions) (*ApplyResult, error) {
	gen, err := l.Generate()
	if err != nil {
		return nil, err
	}
	if err := CheckGenerated(gen); err != nil {
		return nil, err
	}
	if o.DryRun {
		return &ApplyResult{Action: "dry-run"}, nil
	}
	st, _ := l.readState()
	if st != nil && processAlive(st.PID) && st.ConfigSHA == sha(gen.KayentaYML) && l.healthy(ctx, st.URL) == nil {
		if err := l.saveBaseline(); err != nil {
			return nil, err
		}
		return &ApplyResult{URL: st.URL, Action: "unchanged"}, nil
	}
	desc := "Install complete"
	if revs, _ := l.History(ctx); len(revs) > 0 {
		desc = "Upgrade complete"
	}
	res, err := l.run(ctx, gen.KayentaYML, desc)
	if err != nil {
		return nil, err
	}
	return res, l.saveBaseline()
}

// run (re)starts the service with kayentaYML and records a revision.
func (l *Local) run(ctx context.Context, kayentaYML []byte, desc string) (*ApplyResult, error) {
	if err := halconfig.WriteFileAtomic(l.configPath(), kayentaYML, 0o600); err != nil {
		return nil, err
	}
	st, _ := l.readState()
	running := st != nil && processAlive(st.PID)
	action := "started"
	port := 0
	if st != nil {
		port = st.Port
	}
	if running {
		fmt.Fprintf(l.progress(), "Stopping the service (pid %d) to apply the new config...\n", st.PID)
		if err := stopProcess(st.PID, 15*time.Second); err != nil {
			return nil, err
		}
		action = "restarted"
	}
	metricsPort, err := l.smokeMetricsPort()
	if err != nil {
		return nil, err
	}
	if port == 0 || port == metricsPort || !portFree(port) {
		for port = 0; port == 0 || port == metricsPort; {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
	}
	exe := l.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(l.logPath()), 0o700); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(l.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(exe, "kayenta", "serve", "--config", l.configPath(), "--listen", addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives ctl
	fmt.Fprintf(l.progress(), "Starting the analysis service on %s (log %s)...\n", addr, l.logPath())
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the analysis service: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	st = &LocalState{PID: cmd.Process.Pid, Port: port, URL: "http://" + addr, ConfigSHA: sha(kayentaYML), StartedAt: time.Now().UTC(), Executable: exe, MetricsPort: metricsPort}
	if err := l.writeState(st); err != nil {
		_ = stopProcess(st.PID, 5*time.Second)
		return nil, err
	}
	if err := l.waitHealthy(ctx, st.URL, exited); err != nil {
		_ = stopProcess(st.PID, 5*time.Second)
		_ = os.Remove(l.statePath())
		return nil, fmt.Errorf("%w\nlast lines of %s:\n%s", err, l.logPath(), tail(l.logPath(), 15))
	}
	if err := l.recordRevision(kayentaYML, desc); err != nil {
		return nil, err
	}
	return &ApplyResult{Changed: true, URL: st.URL, Action: action}, nil
}

func (l *Local) saveBaseline() error { return SaveBaseline(l.Home, l.Deployment) }

// SaveBaseline records d as the last applied config of its deployment.
func SaveBaseline(home string, d *halconfig.DeploymentConfiguration) error {
	b, err := yaml.Marshal(d)
	if err != nil {
		return err
	}
	return halconfig.WriteFileAtomic(BaselinePath(home, d.Name), b, 0o600)
}

// LoadBaseline reads the deployment config at the last apply (nil, nil when none).
func LoadBaseline(home, deployment string) (*halconfig.DeploymentConfiguration, error) {
	b, err := os.ReadFile(BaselinePath(home, deployment))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The baseline is one deployment; wrap it to reuse the strict parser.
	wrapped := "apiVersion: " + halconfig.APIVersion + "\nkind: Halconfig\ncurrentDeployment: " + deployment +
		"\ndeploymentConfigurations:\n- " + strings.ReplaceAll(strings.TrimRight(string(b), "\n"), "\n", "\n  ") + "\n"
	cfg, _, err := halconfig.Parse(BaselinePath(home, deployment), []byte(wrapped))
	if err != nil {
		return nil, err
	}
	return cfg.Deployment(deployment), nil
}

func (l *Local) waitHealthy(ctx context.Context, url string, exited <-chan error) error {
	timeout := l.HealthTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if l.healthy(ctx, url) == nil {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the analysis service exited during start-up: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("the analysis service did not answer %s/health within %s", url, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *Local) healthy(ctx context.Context, url string) error { return healthy(ctx, url) }

// healthy asks the service at url for /health once.
func healthy(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /health: %s", resp.Status)
	}
	return nil
}

// Diff is the unified diff of the kayenta.yml apply would write against
// the running one.
func (l *Local) Diff(ctx context.Context) (string, error) {
	gen, err := l.Generate()
	if err != nil {
		return "", err
	}
	running, err := os.ReadFile(l.configPath())
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	return UnifiedDiff(string(running), string(gen.KayentaYML), "running/kayenta.yml", "apply/kayenta.yml"), nil
}

// LocalStatus is what `ctl deploy status` reports for a local deployment.
type LocalStatus struct {
	Deployment string      `json:"deployment" yaml:"deployment"`
	Type       string      `json:"type" yaml:"type"`
	Running    bool        `json:"running" yaml:"running"`
	Healthy    bool        `json:"healthy" yaml:"healthy"`
	Health     string      `json:"health" yaml:"health"`
	State      *LocalState `json:"state,omitempty" yaml:"state,omitempty"`
	Revision   int         `json:"revision,omitempty" yaml:"revision,omitempty"`
	Log        string      `json:"log" yaml:"log"`
	Config     string      `json:"config" yaml:"config"`
}

// Rows implements StatusReport.
func (s *LocalStatus) Rows() [][2]string {
	rows := [][2]string{{"Deployment", s.Deployment}, {"Type", s.Type}, {"Health", s.Health}}
	if s.State != nil {
		rows = append(rows, [2]string{"URL", s.State.URL}, [2]string{"PID", fmt.Sprint(s.State.PID)},
			[2]string{"Started", s.State.StartedAt.Format(time.RFC3339)})
	}
	if s.Revision > 0 {
		rows = append(rows, [2]string{"Revision", fmt.Sprint(s.Revision)})
	}
	return append(rows, [2]string{"Config", s.Config}, [2]string{"Log", s.Log})
}

// Status reports the process and its health (a *LocalStatus).
func (l *Local) Status(ctx context.Context) (StatusReport, error) {
	s := &LocalStatus{Deployment: l.Deployment.Name, Type: halconfig.EnvLocal, Log: l.logPath(), Config: l.configPath(), Health: "not deployed"}
	st, err := l.readState()
	if err != nil {
		return s, nil
	}
	s.State = st
	if revs, _ := l.History(ctx); len(revs) > 0 {
		s.Revision = revs[len(revs)-1].Revision
	}
	s.Running = processAlive(st.PID)
	if !s.Running {
		s.Health = fmt.Sprintf("not running (pid %d exited; see %s)", st.PID, l.logPath())
		return s, nil
	}
	if err := l.healthy(ctx, st.URL); err != nil {
		s.Health = "unhealthy: " + err.Error()
		return s, nil
	}
	s.Healthy, s.Health = true, "UP"
	return s, nil
}

// Clean stops the service and removes its state and revisions (its data
// folder and log stay, so results can still be read). It reports whether
// there was anything to clean.
func (l *Local) Clean(ctx context.Context) (bool, error) {
	st, err := l.readState()
	if err != nil {
		return false, nil
	}
	if processAlive(st.PID) {
		if err := stopProcess(st.PID, 15*time.Second); err != nil {
			return false, err
		}
	}
	for _, p := range []string{l.statePath(), BaselinePath(l.Home, l.Deployment.Name)} {
		if err := RemoveFile(p); err != nil {
			return true, err
		}
	}
	return true, os.RemoveAll(l.revisionsDir())
}

func (l *Local) readState() (*LocalState, error) { return ReadLocalState(l.Home, l.Deployment.Name) }

// LocalStatePath is where a local deployment records its process.
func LocalStatePath(home, deployment string) string {
	return filepath.Join(home, deployment, "local-state.json")
}

// ReadLocalState reads what a local deployment recorded about its process
// (an error wrapping os.ErrNotExist when it was never started or was
// cleaned).
func ReadLocalState(home, deployment string) (*LocalState, error) {
	path := LocalStatePath(home, deployment)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st LocalState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// NotAppliedError says the deployment has no running analysis service.
type NotAppliedError struct {
	Deployment string
	Reason     string
}

func (e *NotAppliedError) Error() string {
	return fmt.Sprintf("deployment %s is not applied (%s): run `ctl deploy apply` first", e.Deployment, e.Reason)
}

// RunningLocalState reads a local deployment's state and checks that its
// analysis service answers /health (a *NotAppliedError when not).
func RunningLocalState(ctx context.Context, home, deployment string) (*LocalState, error) {
	st, err := ReadLocalState(home, deployment)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotAppliedError{Deployment: deployment, Reason: "no analysis service was started"}
	}
	if err != nil {
		return nil, err
	}
	if st.URL == "" {
		return nil, &NotAppliedError{Deployment: deployment, Reason: LocalStatePath(home, deployment) + " has no service URL"}
	}
	if err := healthy(ctx, st.URL); err != nil {
		return nil, &NotAppliedError{Deployment: deployment, Reason: fmt.Sprintf("the analysis service at %s does not answer /health (%v); see `ctl deploy status`", st.URL, err)}
	}
	return st, nil
}

// ServiceEndpoint implements ServiceHost: the URL the running service
// recorded.
func (l *Local) ServiceEndpoint(ctx context.Context) (string, *http.Client, error) {
	st, err := RunningLocalState(ctx, l.Home, l.Deployment.Name)
	if err != nil {
		return "", nil, err
	}
	return st.URL, &http.Client{Timeout: 30 * time.Second}, nil
}

func (l *Local) writeState(st *LocalState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return halconfig.WriteFileAtomic(l.statePath(), b, 0o600)
}

// processAlive reports whether pid runs a `ctl kayenta serve` (a recycled
// pid of another program does not count).
func processAlive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	if strings.Contains(string(cmdline), "kayenta\x00serve") {
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return !strings.Contains(string(stat), ") Z ") // a zombie is gone
	}
	return false
}

func stopProcess(pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("stopping pid %d: %w", pid, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for range 100 {
		if !processAlive(pid) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("pid %d did not stop", pid)
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// OrDiscard returns w, or io.Discard when w is nil.
func OrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// RemoveFile removes p; a missing file is not an error.
func RemoveFile(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
