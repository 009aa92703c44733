package canary

import (
	"encoding/json"
	"time"

	"github.com/ctlproject/ctl/kayenta/judge"
	"github.com/ctlproject/ctl/kayenta/metrics"
)

// ExecutionRequest is Kayenta's CanaryExecutionRequest.
type ExecutionRequest struct {
	Scopes     map[string]ScopePair `json:"scopes"`
	Thresholds *judge.Thresholds    `json:"thresholds,omitempty"`
	Metadata   []Metadata           `json:"metadata,omitempty"`
	SiteLocal  json.RawMessage      `json:"siteLocal,omitempty"`
}

// ScopePair is one entry of ExecutionRequest.Scopes (CanaryScopePair).
type ScopePair struct {
	ControlScope    metrics.Scope `json:"controlScope"`
	ExperimentScope metrics.Scope `json:"experimentScope"`
}

// Metadata is a request metadata entry.
type Metadata struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Hidden bool   `json:"hidden"`
}

// Status strings, lower-case as Kayenta writes them (Orca's ExecutionStatus).
const (
	StatusNotStarted = "not_started"
	StatusRunning    = "running"
	StatusSucceeded  = "succeeded"
	StatusTerminal   = "terminal"
	StatusCanceled   = "canceled"
)

// Complete reports whether a status is final.
func Complete(status string) bool {
	return status == StatusSucceeded || status == StatusTerminal || status == StatusCanceled
}

// Exception is the first stage exception of a failed execution.
type Exception struct {
	Message string `json:"message"`
	// Details is Orca's shape: {"errors": [...]}.
	Details map[string]any `json:"details,omitempty"`
}

// Result is CanaryResult: the judge's result and the analysed duration.
type Result struct {
	JudgeResult    *judge.CanaryJudgeResult `json:"judgeResult"`
	CanaryDuration string                   `json:"canaryDuration,omitempty"`
}

// Execution is the stored state of one canary execution; its JSON is
// Kayenta's CanaryExecutionStatusResponse, so GET returns it as is.
type Execution struct {
	Application               string            `json:"application"`
	ParentPipelineExecutionID string            `json:"parentPipelineExecutionId,omitempty"`
	PipelineID                string            `json:"pipelineId"`
	StageStatus               map[string]string `json:"stageStatus"`
	Complete                  bool              `json:"complete"`
	Status                    string            `json:"status"`
	Exception                 *Exception        `json:"exception,omitempty"`
	Result                    *Result           `json:"result,omitempty"`
	Config                    json.RawMessage   `json:"config,omitempty"`
	CanaryConfigID            string            `json:"canaryConfigId,omitempty"`
	CanaryExecutionRequest    *ExecutionRequest `json:"canaryExecutionRequest,omitempty"`
	MetricSetPairListID       string            `json:"metricSetPairListId,omitempty"`
	BuildTimeMillis           int64             `json:"buildTimeMillis"`
	BuildTimeIso              string            `json:"buildTimeIso"`
	StartTimeMillis           int64             `json:"startTimeMillis,omitempty"`
	StartTimeIso              string            `json:"startTimeIso,omitempty"`
	EndTimeMillis             int64             `json:"endTimeMillis,omitempty"`
	EndTimeIso                string            `json:"endTimeIso,omitempty"`
	StorageAccountName        string            `json:"storageAccountName,omitempty"`
	MetricsAccountName        string            `json:"metricsAccountName,omitempty"`
	ConfigurationAccountName  string            `json:"configurationAccountName,omitempty"`
}

func millisIso(t time.Time) (int64, string) {
	return t.UnixMilli(), t.UTC().Format("2006-01-02T15:04:05.000Z")
}
