package sampleapp

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestDriveSteadyRate(t *testing.T) {
	t.Parallel()
	app, err := New(Options{SuccessRate: 70, Latency: 5 * time.Millisecond, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()
	const rps, d = 200, 1500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	t0 := time.Now()
	sent, failed := Drive(ctx, srv.URL+"/", rps)
	took := time.Since(t0)
	want := float64(rps) * d.Seconds()
	if float64(sent) < 0.85*want || float64(sent) > 1.05*want+1 {
		t.Errorf("sent %d requests in %s at %d rps, want about %.0f", sent, d, rps, want)
	}
	if took > d+time.Second {
		t.Errorf("Drive returned %s after ctx ended", took-d)
	}
	ok, bad := app.Counts()
	// The app may have answered a request whose answer Drive abandoned.
	if ok+bad < sent || ok+bad > sent+MaxInFlight || failed > bad || failed < bad-MaxInFlight {
		t.Errorf("Drive: sent %d, failed %d; app: %d ok, %d failed", sent, failed, ok, bad)
	}
	ratio := float64(failed) / float64(sent)
	if ratio < 0.2 || ratio > 0.4 {
		t.Errorf("failed ratio %.3f, want about 0.3", ratio)
	}
	t.Logf("sent %d, failed %d (%.1f%%) in %s", sent, failed, ratio*100, took)
}

func TestDriveHighRateIsBounded(t *testing.T) {
	t.Parallel()
	// A target that never answers within the test: Drive must not open more
	// than MaxInFlight requests, and must return promptly when ctx ends.
	var open, peak atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := open.Add(1)
		defer open.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	sent, failed := Drive(ctx, srv.URL, 2000)
	if took := time.Since(t0); took > 3*time.Second {
		t.Errorf("Drive took %s with a 700ms context", took)
	}
	if sent != 0 || failed != 0 {
		t.Errorf("requests cut short by ctx counted: sent %d, failed %d", sent, failed)
	}
	if p := peak.Load(); p > MaxInFlight || p < MaxInFlight/2 {
		t.Errorf("peak requests in flight = %d, want ≤ %d (and near it at 2000 rps)", p, MaxInFlight)
	}
}

func TestDriveFailures(t *testing.T) {
	t.Parallel()
	// Nothing listens on a port just closed: every request fails at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	sent, failed := Drive(ctx, url, 50)
	if sent == 0 || failed != sent {
		t.Errorf("refused connections: sent %d, failed %d, want all failed", sent, failed)
	}

	if s, f := Drive(context.Background(), url, 0); s != 0 || f != 0 {
		t.Errorf("rps 0: sent %d, failed %d", s, f)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if s, f := Drive(ctx, "http://[::1", 10); s == 0 || f != s {
		t.Errorf("bad URL: sent %d, failed %d, want all failed", s, f)
	}
}
