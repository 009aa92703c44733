package root

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/cmd/cmdutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

// env is a ctl environment: a scratch CTL_HOME and extra variables.
type env struct {
	t    *testing.T
	home string
	vars map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{t: t, home: t.TempDir(), vars: map[string]string{}}
}

type result struct {
	out, err string
	code     int
}

// run executes ctl through the real root command with the given stdin.
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	io, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	f := &cmdutil.Factory{IO: io, Version: "v0.0.0-test", Getenv: func(k string) string {
		if k == "CTL_HOME" {
			return e.home
		}
		return e.vars[k]
	}}
	code := Main(f, args)
	return result{out: out.String(), err: errOut.String(), code: code}
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	r := e.run("", args...)
	if r.code != 0 {
		e.t.Fatalf("ctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}

func (e *env) configBytes() []byte {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.home, "config"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return b
}

// assertGolden compares got with testdata/output/name; -update rewrites it.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "output", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden (run `make golden` to create it): %v", err)
	}
	if !bytes.Equal(bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n")), []byte(got)) {
		t.Errorf("output differs from %s (run `make golden` if the change is intended)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
