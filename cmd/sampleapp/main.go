// Command sampleapp runs the smoke canary's sample app (smoke/sampleapp) on
// its own, e.g. as a container image's entry point:
//
//	SUCCESS_RATE=70 sampleapp --latency 20ms --listen :8080
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ctlproject/ctl/smoke/sampleapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := sampleapp.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
