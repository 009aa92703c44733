package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// BenchmarkStartup compares the wall time of an edit command with a bare
// start (`ctl version`) of the same binary, as separate processes. It
// reports medians; the targets are edit < 2x version and edit < 20 ms.
func BenchmarkStartup(b *testing.B) {
	home := b.TempDir()
	run := func(args ...string) time.Duration {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "CTL_HOME="+home)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ctl %v: %v: %s", args, err, out)
		}
		return time.Since(start)
	}
	// A config with some content, as an operator would have.
	run("config", "canary", "enable")
	run("config", "canary", "prometheus", "enable")
	run("config", "canary", "prometheus", "account", "add", "my-prometheus", "--base-url", "http://prometheus:9090")
	var version, edit []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		version = append(version, run("version"))
		edit = append(edit, run("config", "canary", "edit", "--stages-enabled", fmt.Sprint(i%2 == 0)))
	}
	b.StopTimer()
	mv, me := median(version), median(edit)
	b.ReportMetric(float64(mv.Microseconds())/1000, "version-ms")
	b.ReportMetric(float64(me.Microseconds())/1000, "edit-ms")
	b.ReportMetric(float64(me)/float64(mv), "edit/version")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkSmoke is the wall time of a full local `ctl canary smoke`
// (healthy and faulty, default duration) on an applied local deployment.
// Target: under 60 s.
func BenchmarkSmoke(b *testing.B) {
	home := b.TempDir()
	if out, err := ctl(home, "", "config", "canary", "enable"); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	if out, err := ctl(home, "", "deploy", "apply"); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	defer ctl(home, "", "deploy", "clean", "--yes")
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if out, err := ctl(home, "", "canary", "smoke"); err != nil {
			b.Fatalf("smoke: %v: %s", err, out)
		}
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "smoke-s")
}
