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
		Use:   "sample-app [--success-rate N] [--latency D] [--latency-jitter D] [--listen ADDR] [--seed N] [--metric-labels k=v,...] [--load-rps N]",
		Short: "Run the smoke canaries' sample app (SUCCESS_RATE, /metrics) in the foreground",
		Long: `Run the sample app that "ctl canary smoke" uses: an HTTP server whose / answers
200 or 500 by the success rate, after the latency, and whose /metrics exports
requests_total{code}, request_duration_seconds and rate_requests (/healthz is for
probes). With --load-rps N (0, the default, is off) it also sends N requests per
second to its own / over loopback for as long as it runs, counted like any other
request: the load for a pod that has no load driver (the ctl-sampleapp chart).
The environment variables SUCCESS_RATE, LATENCY, LATENCY_JITTER, LISTEN, SEED,
METRIC_LABELS and LOAD_RPS set the same as the flags (flags win). It stops on
Ctrl-C or SIGTERM. Run with --help for the sample app's flags.`,
		Example: `  SUCCESS_RATE=70 ctl canary sample-app --listen 127.0.0.1:8080
  ctl canary sample-app --listen :8080 --load-rps 100 --metric-labels scenario=healthy,version=canary`,
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
