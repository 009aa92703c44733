package sampleapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Environment variables read by OptionsFromEnv. SUCCESS_RATE is the seed's.
const (
	EnvSuccessRate   = "SUCCESS_RATE"   // percent, e.g. 70
	EnvLatency       = "LATENCY"        // Go duration, e.g. 20ms
	EnvLatencyJitter = "LATENCY_JITTER" // Go duration, e.g. 5ms
	EnvListen        = "LISTEN"         // host:port, e.g. :8080
	EnvSeed          = "SEED"           // unsigned integer; 0 = random
	EnvMetricLabels  = "METRIC_LABELS"  // k=v,k2=v2
	EnvLoadRPS       = "LOAD_RPS"       // requests per second to itself; 0 = off
)

// DefaultListen is where Main listens by default: the seed app's port.
const DefaultListen = ":8080"

// OptionsFromEnv returns DefaultOptions (listening on DefaultListen)
// overridden by the environment variables above that are set and not empty.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := DefaultOptions()
	o.Listen = DefaultListen
	if getenv == nil {
		return o, nil
	}
	var errs []error
	if v := strings.TrimSpace(getenv(EnvSuccessRate)); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not a number", EnvSuccessRate, v))
		}
		o.SuccessRate = f
	}
	duration := func(name string, d *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not a duration such as 20ms", name, v))
			}
			*d = p
		}
	}
	duration(EnvLatency, &o.Latency)
	duration(EnvLatencyJitter, &o.Jitter)
	if v := strings.TrimSpace(getenv(EnvListen)); v != "" {
		o.Listen = v
	}
	if v := strings.TrimSpace(getenv(EnvSeed)); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not an unsigned integer", EnvSeed, v))
		}
		o.Seed = s
	}
	if v := strings.TrimSpace(getenv(EnvMetricLabels)); v != "" {
		o.Labels = map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				errs = append(errs, fmt.Errorf("%s=%q: want k=v,k2=v2", EnvMetricLabels, v))
				break
			}
			o.Labels[strings.TrimSpace(k)] = val
		}
	}
	if v := strings.TrimSpace(getenv(EnvLoadRPS)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not a whole number of requests per second (0 to %d; 0 = off)", EnvLoadRPS, v, MaxLoadRPS))
		}
		o.LoadRPS = n
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	return o, nil
}

// AddFlags binds o's fields to flags on fs, with o's current values as
// defaults: --success-rate, --latency, --latency-jitter, --listen, --seed,
// --metric-labels and --load-rps.
func AddFlags(fs *pflag.FlagSet, o *Options) {
	fs.Float64Var(&o.SuccessRate, "success-rate", o.SuccessRate, "percentage of requests answered 200 (the others get 500), as the seed's "+EnvSuccessRate)
	fs.DurationVar(&o.Latency, "latency", o.Latency, "mean time to answer a request")
	fs.DurationVar(&o.Jitter, "latency-jitter", o.Jitter, "latency varies uniformly within ± this")
	fs.StringVar(&o.Listen, "listen", o.Listen, "address to listen on (host:port; port 0 picks a free port)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed for reproducible outcomes and latencies (0: random)")
	fs.StringToStringVar(&o.Labels, "metric-labels", o.Labels, "constant labels added to every metric, k=v,k2=v2 (when the scraper does not add them)")
	fs.IntVar(&o.LoadRPS, "load-rps", o.LoadRPS, fmt.Sprintf("requests per second the app sends to its own / over loopback while it runs, counted like any other (0: off; at most %d)", MaxLoadRPS))
}

// Main runs the sample app as a command: the environment (OptionsFromEnv),
// then args (AddFlags), then Serve until ctx ends. It returns the exit code:
// 0 when ctx ended (or for --help), 2 for a usage error, 1 when serving failed.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := OptionsFromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "sample-app: %v\n", err)
		return 2
	}
	fs := pflag.NewFlagSet("sample-app", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sample-app [flags]\n\nServes / (200 or 500 by the success rate, after the latency), /metrics and /healthz.\nWith --load-rps it also sends itself that many requests per second.\nEnvironment: %s, %s, %s, %s, %s, %s, %s (flags win).\n\nFlags:\n",
			EnvSuccessRate, EnvLatency, EnvLatencyJitter, EnvListen, EnvSeed, EnvMetricLabels, EnvLoadRPS)
		fs.PrintDefaults()
	}
	AddFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "sample-app: %v (see --help)\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sample-app: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintf(stderr, "sample-app: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "sample-app: %s\n", o)
	if err := Serve(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "sample-app: %v\n", err)
		return 1
	}
	return 0
}
