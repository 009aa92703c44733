// Package server wires the analysis service together from a kayenta.yml:
// metrics accounts, object stores, the execution service and the HTTP API.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ctlproject/ctl/kayenta/api"
	"github.com/ctlproject/ctl/kayenta/canary"
	"github.com/ctlproject/ctl/kayenta/config"
	promsource "github.com/ctlproject/ctl/kayenta/metrics/prometheus"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// Options are what a caller may set beyond the config file.
type Options struct {
	Clock   canary.Clock
	Logger  *slog.Logger
	Replica string
	// AuthToken overrides ctl.auth.tokenFile.
	AuthToken string
}

// Server is a configured analysis service.
type Server struct {
	Config  *config.Config
	Service *canary.Service
	API     *api.API
	logger  *slog.Logger
}

// New builds the service from cfg. It fails when an account cannot be set
// up (an S3 bucket that cannot be reached or created, a bad local folder).
func New(ctx context.Context, cfg *config.Config, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	accts := &canary.Accounts{}
	for _, a := range cfg.PrometheusAccounts {
		src, err := promsource.New(promsource.Options{
			Name: a.Name, BaseURL: a.BaseURL, Username: a.Username, Password: a.Password.Value(),
			BearerToken: a.BearerToken.Value(), ScopeLabel: cfg.Prometheus.ScopeLabel,
			Retries: cfg.MetricsRetry.Attempts, BackoffBase: time.Duration(cfg.MetricsRetry.BackoffPeriodMultiplierMs) * time.Millisecond,
			Timeout: cfg.Executions.FetchTimeout, MetadataCacheTTL: cfg.Prometheus.MetadataCachingInterval, Logger: o.Logger,
		})
		if err != nil {
			return nil, fmt.Errorf("prometheus account %s: %w", a.Name, err)
		}
		accts.Metrics = append(accts.Metrics, canary.MetricsAccount{Name: a.Name, Type: "prometheus", Source: src})
	}
	for _, a := range cfg.S3Accounts {
		so := storage.S3Options{Bucket: a.Bucket, Region: a.Region, RootFolder: a.RootFolder, Endpoint: a.Endpoint, Profile: a.ProfileName}
		if c := a.Credentials; c != nil {
			so.AccessKeyID, so.SecretAccessKey, so.SessionToken = c.AccessKey, c.SecretKey.Value(), c.SessionToken.Value()
		}
		st, err := storage.NewS3(ctx, so)
		if err != nil {
			return nil, fmt.Errorf("aws account %s: %w", a.Name, err)
		}
		accts.Stores = append(accts.Stores, canary.StoreAccount{Name: a.Name, Types: a.SupportedTypes, Store: st})
	}
	for _, a := range cfg.LocalAccounts {
		st, err := storage.NewLocal(a.RootDirectory) // creates the folder
		if err != nil {
			return nil, fmt.Errorf("local account %s: %w", a.Name, err)
		}
		accts.Stores = append(accts.Stores, canary.StoreAccount{Name: a.Name, Types: a.SupportedTypes, Store: st})
	}
	for _, a := range cfg.MemoryAccounts {
		accts.Stores = append(accts.Stores, canary.StoreAccount{Name: a.Name, Types: a.SupportedTypes, Store: storage.NewMemory(a.Name)})
	}
	if !cfg.HasObjectStore() {
		o.Logger.Warn("no object store configured: configs and results are kept in memory and lost on restart; configure kayenta.local or kayenta.aws")
		accts.Stores = append(accts.Stores, canary.StoreAccount{Name: "in-memory-store",
			Types: []config.SupportedType{config.ObjectStore, config.ConfigurationStore}, Store: storage.NewMemory("in-memory-store")})
	}
	token := o.AuthToken
	if token == "" && cfg.Auth.TokenFile != "" {
		b, err := os.ReadFile(cfg.Auth.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("ctl.auth.tokenFile: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	svc := canary.New(canary.Options{
		Accounts: accts, Clock: o.Clock, Replica: o.Replica, LeaseTTL: cfg.Executions.LeaseTTL,
		MaxConcurrent: cfg.Executions.MaxConcurrent, FetchConcurrency: cfg.Executions.FetchConcurrency,
		FetchTimeout: cfg.Executions.FetchTimeout, Archive: cfg.DefaultArchiversEnabled, Logger: o.Logger,
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := api.New(api.Options{Service: svc, Config: cfg, MaxRequestBytes: cfg.Limits.MaxRequestBytes, AuthToken: token,
		Registry: reg, Logger: o.Logger, StandaloneEnabled: cfg.StandaloneCanaryAnalysisEnabled,
		MetricNameValidation: !cfg.DisableMetricNameValidation})
	return &Server{Config: cfg, Service: svc, API: h, logger: o.Logger}, nil
}

// Serve answers on ln until ctx is done, then shuts down gracefully:
// in-flight requests finish (up to 10 s), and running executions stay
// running in the store, to be resumed by the next start or another replica.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.API, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go s.Service.Run(runCtx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Service.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.Service.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
