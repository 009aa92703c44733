// Package kayenta implements `ctl kayenta`: the bundled analysis service.
package kayenta

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/server"
)

// NewCmdKayenta returns `ctl kayenta`.
func NewCmdKayenta(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kayenta",
		Short: "Run the bundled Kayenta-compatible analysis service",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("kayenta needs a subcommand: serve")
		},
	}
	cmd.AddCommand(newCmdServe(f))
	return cmd
}

func newCmdServe(f *cmdutil.Factory) *cobra.Command {
	var cfgPath, listen, tokenFile, logLevel string
	cmd := &cobra.Command{
		Use:   "serve --config kayenta.yml",
		Short: "Serve Kayenta's REST API",
		Long: `Serve Kayenta's REST API (canary configs, canary executions, standalone
analyses, judges, metric fetches) from an existing kayenta.yml: Prometheus
accounts for metrics, S3 (kayenta.aws + kayenta.s3.enabled), local-folder
(kayenta.local) or in-memory stores. No Redis: every execution's state lives
in the object store, so a restarted service resumes what was running and
several replicas can share one bucket.

Unknown keys in kayenta.yml are reported and ignored; bad values stop the
start with the file, line and key. SIGINT or SIGTERM shut down gracefully.`,
		Example: `  ctl kayenta serve --config kayenta.yml
  ctl kayenta serve --config kayenta.yml --listen 127.0.0.1:8090 --auth-token-file token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, warnings, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			level := slog.LevelInfo
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return cmdutil.FlagErrorf("--log-level: %v", err)
			}
			logger := slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
			for _, w := range warnings {
				logger.Warn(w.String())
			}
			var token string
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--auth-token-file: %w", err)
				}
				if token = strings.TrimSpace(string(b)); token == "" {
					return fmt.Errorf("--auth-token-file %s is empty", tokenFile)
				}
			}
			addr := listen
			if addr == "" {
				addr = net.JoinHostPort(cfg.Server.Address, strconv.Itoa(cfg.Server.Port))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := server.New(ctx, cfg, server.Options{Logger: logger, AuthToken: token})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", addr, err)
			}
			logger.Info("serving Kayenta API", "url", "http://"+ln.Addr().String(), "config", cfg.File)
			return srv.Serve(ctx, ln)
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "kayenta.yml to read (required)")
	cmd.Flags().StringVar(&listen, "listen", "", "Address to listen on (default server.address:server.port from the config)")
	cmd.Flags().StringVar(&tokenFile, "auth-token-file", "", "File holding a bearer token every API call must present (not /health, /metrics)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "Log level: debug, info, warn, error")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}
