package smoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// LocalState is the part of a local deployment's local-state.json
// (installer.LocalState) that smoke reads. It is read here rather than
// through the installer package, which links Helm and client-go.
type LocalState struct {
	PID         int    `json:"pid"`
	URL         string `json:"url"`
	MetricsPort int    `json:"metricsPort"`
}

// LocalStatePath is where a local deployment records its process.
func LocalStatePath(home, deployment string) string {
	return filepath.Join(home, deployment, "local-state.json")
}

// NotAppliedError says the deployment has no running analysis service.
type NotAppliedError struct {
	Deployment string
	Reason     string
}

func (e *NotAppliedError) Error() string {
	return fmt.Sprintf("deployment %s is not applied (%s): run `ctl deploy apply` first", e.Deployment, e.Reason)
}

// LocalTarget reads a local deployment's state and checks that its
// analysis service answers /health and has a port reserved for the embedded
// Prometheus.
func LocalTarget(ctx context.Context, home, deployment string) (*LocalState, error) {
	path := LocalStatePath(home, deployment)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotAppliedError{Deployment: deployment, Reason: "no analysis service was started"}
	}
	if err != nil {
		return nil, err
	}
	var st LocalState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.URL == "" {
		return nil, &NotAppliedError{Deployment: deployment, Reason: path + " has no service URL"}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL+"/health", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, &NotAppliedError{Deployment: deployment, Reason: fmt.Sprintf("the analysis service at %s does not answer; see `ctl deploy status`", st.URL)}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &NotAppliedError{Deployment: deployment, Reason: fmt.Sprintf("the analysis service at %s is unhealthy (%s); see `ctl deploy status`", st.URL, resp.Status)}
	}
	if st.MetricsPort <= 0 {
		return nil, &NotAppliedError{Deployment: deployment, Reason: "it was applied by an older ctl, without the " + MetricsAccount + " metrics account"}
	}
	return &st, nil
}

// StoreListen is the address of the embedded Prometheus for a state.
func (st *LocalState) StoreListen() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(st.MetricsPort))
}
