package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/backup"
	backupcmd "github.com/ctlproject/ctl/cmd/backup"
	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/cmd/root"
)

const cmdPassphraseEnv = backupcmd.PassphraseEnv

// binary is the ctl binary built by TestMain, for the tests that kill it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ctl-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ctl")
	build := exec.Command("go", "build", "-o", binary, "github.com/ctlproject/ctl/cmd/ctl")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ctl:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a ctl environment: a scratch CTL_HOME and extra variables
// (the pattern of cmd/root/helpers_test.go).
type env struct {
	t    *testing.T
	home string
	vars map[string]string
	// secrets are values no backup command may ever print.
	secrets []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, home: t.TempDir(), vars: map[string]string{}}
	return e
}

type result struct {
	out, err string
	code     int
}

// run executes ctl through the real root command with the given stdin.
// Output of `ctl backup ...` is checked for every seeded secret.
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
	code := root.Main(f, args)
	r := result{out: out.String(), err: errOut.String(), code: code}
	if len(args) > 0 && args[0] == "backup" {
		for _, s := range e.secrets {
			if strings.Contains(r.out, s) || strings.Contains(r.err, s) {
				e.t.Errorf("ctl %s printed the secret %q:\nstdout: %s\nstderr: %s", strings.Join(args, " "), s, r.out, r.err)
			}
		}
	}
	return r
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

// fails runs a command that must exit with code and mention every want.
func (e *env) fails(code int, want []string, args ...string) result {
	e.t.Helper()
	r := e.run("", args...)
	if r.code != code {
		e.t.Fatalf("ctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.out, r.err)
	}
	for _, w := range want {
		if !strings.Contains(r.err, w) {
			e.t.Errorf("ctl %s: stderr does not mention %q:\n%s", strings.Join(args, " "), w, r.err)
		}
	}
	return r
}

func (e *env) path(rel ...string) string { return filepath.Join(append([]string{e.home}, rel...)...) }

func (e *env) read(rel ...string) []byte {
	e.t.Helper()
	b, err := os.ReadFile(e.path(rel...))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) write(data string, rel ...string) {
	e.t.Helper()
	p := e.path(rel...)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// Secret values seeded by seed; each is unique so a leak is easy to find.
const (
	promPassword = "PROM-PASSWORD-s3cr3t-1"
	promFile     = "prom-user:PROM-FILE-s3cr3t-2"
	awsSecret    = "AWS-SECRET-KEY-s3cr3t-3"
	kubeSecret   = "KUBECONFIG-TOKEN-s3cr3t-4"
)

// seeded is what seed set up outside CTL_HOME.
type seeded struct {
	promFile, kubeconfig string
}

// seed builds a realistic home: two deployments, every kind of secret
// (a password, an S3 secret key, a prometheus username:password file, a
// kubeconfig), profiles and service settings, a history/ baseline, and
// files a backup must never hold.
func (e *env) seed() seeded {
	e.t.Helper()
	dir := e.t.TempDir()
	s := seeded{promFile: filepath.Join(dir, "prom creds.txt"), kubeconfig: filepath.Join(dir, "kubeconfig")}
	if err := os.WriteFile(s.promFile, []byte(promFile+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(s.kubeconfig, []byte("apiVersion: v1\nusers:\n- user:\n    token: "+kubeSecret+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.secrets = append(e.secrets, promPassword, "PROM-FILE-s3cr3t-2", awsSecret, kubeSecret)
	e.ok("config", "--set-current-deployment", "staging")
	e.ok("config", "canary", "prometheus", "enable")
	e.ok("config", "canary", "prometheus", "account", "add", "prom-staging", "--base-url", "http://prometheus.staging:9090")
	e.ok("config", "--set-current-deployment", "default")
	e.ok("config", "canary", "enable")
	e.ok("config", "canary", "prometheus", "enable")
	e.ok("config", "canary", "prometheus", "account", "add", "my-prom", "--base-url", "http://prometheus:9090",
		"--username", "prom-user", "--password", promPassword, "--username-password-file", s.promFile)
	e.ok("config", "canary", "aws", "enable")
	e.ok("config", "canary", "aws", "account", "add", "my-s3", "--bucket", "spin-bucket", "--endpoint", "s3.example.com",
		"--access-key-id", "ACCESS_ID", "--secret-access-key", awsSecret)
	e.ok("config", "canary", "aws", "edit", "--s3-enabled", "true")
	e.ok("config", "canary", "edit", "--default-metrics-store", "prometheus", "--default-metrics-account", "my-prom",
		"--default-storage-account", "my-s3")
	e.ok("config", "deploy", "edit", "--kubeconfig", s.kubeconfig)
	e.write("kayenta:\n  jvmOpts: -Xmx1g\n", "default", "profiles", "kayenta-local.yml")
	e.write("artifactId: kayenta\n", "default", "service-settings", "kayenta.yml")
	e.write("nested: true\n", "staging", "profiles", "sub", "deep.yml")
	e.write("applied: v1\n", "default", "history", "kayenta.yml")
	// Never archived.
	e.write("log line\n", "default", "profiles", "kayenta.log")
	e.write("cache\n", "default", "profiles", ".cache", "c")
	e.write("log\n", "default", "service-settings", "service-logs", "kayenta.out")
	e.write("", "default", "profiles", "edit.lock")
	e.write("tmp\n", "default", "profiles", "x.tmp")
	e.write("old config with "+awsSecret+"\n", "config.ctl-v1alpha1.bak")
	return s
}

// createBackup runs `ctl backup create` with args and returns the archive's path.
func (e *env) createBackup(args ...string) string {
	e.t.Helper()
	r := e.ok(append([]string{"backup", "create"}, args...)...)
	path := strings.TrimSpace(r.out)
	if !strings.HasSuffix(path, ".tar.gz") {
		e.t.Fatalf("backup create printed %q, want the archive path", r.out)
	}
	return path
}

// preRestorePath is the pre-restore backup named by the undo command that
// `ctl backup restore` prints (out is its stdout).
func preRestorePath(out string) string {
	var pre string
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "--backup-path "); i >= 0 {
			pre = strings.Fields(line[i+len("--backup-path "):])[0]
		}
	}
	return pre
}

// treeHash describes every file, folder and link under dir.
func treeHash(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case d.IsDir():
			out[rel] = fmt.Sprintf("dir %v", info.Mode())
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = fmt.Sprintf("file %v %x", info.Mode(), sum)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, fmt.Sprintf("%s: %q -> %q", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s: added %q", k, v))
		}
	}
	sort.Strings(out)
	return out
}

// assertUnchanged fails the test when home differs from before (a treeHash)
// after what ("a refused restore") ran.
func assertUnchanged(t *testing.T, home string, before map[string]string, what string) {
	t.Helper()
	if d := diffTrees(before, treeHash(t, home)); len(d) > 0 {
		t.Errorf("%s changed $CTL_HOME:\n%s", what, strings.Join(d, "\n"))
	}
}

// tarEntry is one member of a crafted archive.
type tarEntry struct {
	hdr  tar.Header
	data []byte
}

// plainBytes is the archive's uncompressed tar stream.
func plainBytes(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTarGz(t *testing.T, path string) []tarEntry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(plainBytes(t, path)))
	var out []tarEntry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr: *hdr, data: data})
	}
}

func writeTarGz(t *testing.T, path string, entries []tarEntry) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := e.hdr
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == 0 {
			hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("writing %s: %v", hdr.Name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatalf("writing %s: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func regular(name string, data []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600}, data: data}
}

func getManifest(t *testing.T, entries []tarEntry) *backup.Manifest {
	t.Helper()
	m := &backup.Manifest{}
	if err := json.Unmarshal(entries[0].data, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func putManifest(t *testing.T, entries []tarEntry, m *backup.Manifest) {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	entries[0].data = data
}

// relist rewrites the manifest's file list from the entries after it.
func relist(t *testing.T, entries []tarEntry) {
	t.Helper()
	m := getManifest(t, entries)
	m.Files = nil
	for _, e := range entries[1:] {
		sum := sha256.Sum256(e.data)
		m.Files = append(m.Files, backup.File{Name: e.hdr.Name, Size: int64(len(e.data)), SHA256: hex.EncodeToString(sum[:])})
	}
	putManifest(t, entries, m)
}
