package canary

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/smoke/sampleapp"
)

// newCmdSampleApp returns `ctl canary sample-app`: the smoke canaries'
// sample app on its own, for trying things by hand. Its flags are the
// sample app's own (sampleapp.Main parses them).
func newCmdSampleApp(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "sample-app [--success-rate N] [--latency D] [--latency-jitter D] [--listen ADDR] [--seed N] [--metric-labels k=v,...]",
		Short: "Run the smoke canaries' sample app (SUCCESS_RATE, /metrics) in the foreground",
		Long: `Run the sample app that "ctl canary smoke" uses: an HTTP server whose / answers
200 or 500 by the success rate, after the latency, and whose /metrics exports
requests_total{code}, request_duration_seconds and rate_requests. The environment
variables SUCCESS_RATE, LATENCY, LATENCY_JITTER, LISTEN, SEED and METRIC_LABELS
set the same as the flags (flags win). It stops on Ctrl-C. Run with --help for
the sample app's flags.`,
		Example:            `  SUCCESS_RATE=70 ctl canary sample-app --listen 127.0.0.1:8080`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if code := sampleapp.Main(ctx, args, os.Getenv, f.IO.Out, f.IO.ErrOut); code != 0 {
				return &cmdutil.ExitError{Code: code}
			}
			return nil
		},
	}
}
