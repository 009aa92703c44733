package halconfig

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newTestStore returns a store in a fresh home, with the config file
// written from testdata/<rel> when rel is not "".
func newTestStore(t *testing.T, rel string) *Store {
	t.Helper()
	s := NewStore(t.TempDir(), "")
	s.LockTimeout = 200 * time.Millisecond
	if rel != "" {
		writeFile(t, s.Home, "config", readTestdata(t, rel), 0o600)
	}
	return s
}

// ageFile sets the file's mtime an hour back, so any rewrite shows.
func ageFile(t *testing.T, path string) time.Time {
	t.Helper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return old
}

// assertUnchanged checks the file still has the given bytes and mtime.
func assertUnchanged(t *testing.T, path string, data []byte, mtime time.Time) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s changed\n--- now\n%s\n--- before\n%s", path, got, data)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ModTime().Equal(mtime) {
		t.Errorf("%s was rewritten (mtime %v, was %v)", path, st.ModTime(), mtime)
	}
}

// listHome lists every path under home, relative, sorted.
func listHome(t *testing.T, home string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != home {
			rel, _ := filepath.Rel(home, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestNewStorePaths(t *testing.T) {
	s := NewStore("/h", "")
	if s.Path != "/h/config" || s.DeploymentDir("prod") != "/h/prod" {
		t.Errorf("NewStore(/h, \"\") = %+v, DeploymentDir(prod) = %s", s, s.DeploymentDir("prod"))
	}
	if s := NewStore("/h", "/etc/ctl.yaml"); s.Path != "/etc/ctl.yaml" || s.Home != "/h" {
		t.Errorf("NewStore with a path = %+v", s)
	}
}

func TestStoreLoadMissingGivesDefaults(t *testing.T) {
	s := newTestStore(t, "")
	l, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Config, NewConfig()) || l.Version != APIVersion || l.Raw != nil {
		t.Errorf("Load() of a missing file = %+v", l)
	}
	if entries := listHome(t, s.Home); len(entries) != 0 {
		t.Errorf("Load created files: %v", entries)
	}
}

func TestStoreLoad(t *testing.T) {
	s := newTestStore(t, "good/seed-v1alpha1.yaml")
	l, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != "ctl/v1alpha1" || !bytes.Equal(l.Raw, readTestdata(t, "good/seed-v1alpha1.yaml")) {
		t.Errorf("Load() version %q, raw %d bytes", l.Version, len(l.Raw))
	}
	if !reflect.DeepEqual(l.Config, mustParse(t, "good/seed.yaml")) {
		t.Error("Load() of the v1alpha1 file differs from the v1 twin")
	}
}

// TestStoreLoadUnreadable: a config that exists but cannot be read is an
// error, not the defaults (a folder in its place fails even for root).
func TestStoreLoadUnreadable(t *testing.T) {
	s := newTestStore(t, "")
	if err := os.Mkdir(s.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Load(); err == nil || !strings.Contains(err.Error(), "reading config") {
		t.Errorf("Load() = %+v, %v", l, err)
	}
}

// TestStoreEditCreates: the first edit writes the file (0600, atomically,
// no temp file left) and creates the deployment folders.
func TestStoreEditCreates(t *testing.T) {
	s := newTestStore(t, "")
	res, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		d.Canary.Enabled = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Deployment != "default" || res.Migrated != "" {
		t.Errorf("EditResult = %+v", res)
	}
	if m := mode(t, s.Path); m != 0o600 {
		t.Errorf("config mode %v, want 0600", m)
	}
	want := []string{"config", "config.lock", "default", "default/profiles", "default/service-settings"}
	if got := listHome(t, s.Home); !reflect.DeepEqual(got, want) {
		t.Errorf("home holds %v, want %v", got, want)
	}
	l, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !l.Config.Deployment("default").Canary.Enabled {
		t.Error("the edit was not saved")
	}
	// With canary enabled and no storage, Halyard's WARNING is reported and the edit saved.
	if len(res.Problems) != 1 || res.Problems[0].Severity != Warning || res.Problems[0].Location != "default.canary" {
		t.Errorf("Problems = %v, want the no-object-store WARNING", res.Problems)
	}
}

// TestStoreSaveAtomic: Save replaces the file by rename (a new inode), with
// mode 0600 even when the old file was 0644, and leaves no temp file.
func TestStoreSaveAtomic(t *testing.T) {
	s := newTestStore(t, "good/minimal.yaml")
	if err := os.Chmod(s.Path, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		d.Canary.TemplatesEnabled = false
		return nil
	})
	if err != nil || !res.Changed {
		t.Fatalf("Edit = %+v, %v", res, err)
	}
	after, err := os.Stat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Mode().Perm() != 0o600 {
		t.Errorf("mode after save %v, want 0600", after.Mode().Perm())
	}
	if before.Sys().(*syscall.Stat_t).Ino == after.Sys().(*syscall.Stat_t).Ino {
		t.Error("the config was rewritten in place, not replaced by rename")
	}
	for _, p := range listHome(t, s.Home) {
		if strings.Contains(p, ".tmp") {
			t.Errorf("temp file left: %s", p)
		}
	}
	got, _ := os.ReadFile(s.Path)
	if !strings.Contains(string(got), "templatesEnabled: false") || !strings.HasPrefix(string(got), "apiVersion: ctl/v1\nkind: Halconfig\n") {
		t.Errorf("saved file:\n%s", got)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f")
	if err := WriteFileAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "two" {
		t.Errorf("content %q", got)
	}
	if m := mode(t, p); m != 0o640 {
		t.Errorf("mode %v, want 0640", m)
	}
	if got := listHome(t, dir); !reflect.DeepEqual(got, []string{"sub", "sub/f"}) {
		t.Errorf("dir holds %v", got)
	}
	// A path whose folder is a file fails and creates nothing.
	if err := WriteFileAtomic(filepath.Join(p, "x"), []byte("x"), 0o600); err == nil {
		t.Error("writing under a file succeeded")
	}
}

// TestStoreEditBrokenFile: a hand-broken file makes Edit fail with the
// position; the file is left byte-identical and mutate never runs.
func TestStoreEditBrokenFile(t *testing.T) {
	for _, rel := range []string{"bad/unknown-canary-field.yaml", "bad/syntax-error.yaml", "bad/newer-apiversion.yaml"} {
		t.Run(rel, func(t *testing.T) {
			s := newTestStore(t, rel)
			data := readTestdata(t, rel)
			mtime := ageFile(t, s.Path)
			called := false
			_, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
				called = true
				return nil
			})
			if err == nil {
				t.Fatal("Edit of a broken file succeeded")
			}
			if called {
				t.Error("mutate ran on a broken file")
			}
			wantPos := map[string]string{
				"bad/unknown-canary-field.yaml": s.Path + ":9:7:",
				"bad/syntax-error.yaml":         s.Path + ":8:1:",
				"bad/newer-apiversion.yaml":     s.Path + `: apiVersion "ctl/v2"`,
			}[rel]
			if !strings.Contains(err.Error(), wantPos) {
				t.Errorf("error lacks %q: %v", wantPos, err)
			}
			assertUnchanged(t, s.Path, data, mtime)
			if entries := listHome(t, s.Home); !reflect.DeepEqual(entries, []string{"config", "config.lock"}) {
				t.Errorf("home holds %v", entries)
			}
		})
	}
}

// TestStoreEditNoChange: an edit that changes nothing writes nothing, even
// when the file is not in the form ctl writes.
func TestStoreEditNoChange(t *testing.T) {
	for _, rel := range []string{"good/seed.yaml", "good/minimal.yaml", "good/two-deployments.yaml"} {
		t.Run(rel, func(t *testing.T) {
			s := newTestStore(t, rel)
			data := readTestdata(t, rel)
			mtime := ageFile(t, s.Path)
			res, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
				d.Canary.DefaultJudge = DefaultJudge // already so
				d.Canary.Integration("aws").Enabled = d.Canary.Integration("aws").Enabled
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed {
				t.Error("Changed = true for an edit that changed nothing")
			}
			assertUnchanged(t, s.Path, data, mtime)
			if _, err := os.Stat(s.DeploymentDir("default")); err == nil {
				t.Error("a no-op edit created deployment folders")
			}
		})
	}
}

func TestStoreEditCreatesDeploymentFolders(t *testing.T) {
	s := newTestStore(t, "good/minimal.yaml")
	_, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		h.DeploymentConfigurations = append(h.DeploymentConfigurations, NewDeployment("staging"))
		h.CurrentDeployment = "staging"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range []string{"default", "staging"} {
		for _, sub := range []string{"profiles", "service-settings"} {
			p := filepath.Join(s.Home, dep, sub)
			st, err := os.Stat(p)
			if err != nil || !st.IsDir() {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if st.Mode().Perm() != 0o700 {
				t.Errorf("%s mode %v, want 0700", p, st.Mode().Perm())
			}
		}
	}
	l, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.CurrentDeployment != "staging" || !reflect.DeepEqual(l.Config.DeploymentNames(), []string{"default", "staging"}) {
		t.Errorf("saved config: current %q, deployments %v", l.Config.CurrentDeployment, l.Config.DeploymentNames())
	}
}

// TestStoreEditBlocked: an edit that adds an ERROR is refused and the file
// is unchanged; with NoValidate it is saved.
func TestStoreEditBlocked(t *testing.T) {
	s := newTestStore(t, "good/seed.yaml")
	data := readTestdata(t, "good/seed.yaml")
	mtime := ageFile(t, s.Path)
	mutate := func(h *Halconfig, d *DeploymentConfiguration) error {
		d.Canary.DefaultStorageAccount = "nope"
		return nil
	}
	res, err := s.Edit(EditOptions{}, mutate)
	var be *BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("Edit = %+v, %v; want a *BlockedError", res, err)
	}
	if len(be.New) != 1 || be.New[0].Severity != Error || be.New[0].Location != "default.canary.defaultStorageAccount" {
		t.Errorf("BlockedError.New = %v", be.New)
	}
	if !strings.Contains(err.Error(), `Account "nope" does not exist`) || !strings.Contains(err.Error(), "--no-validate") {
		t.Errorf("message: %v", err)
	}
	assertUnchanged(t, s.Path, data, mtime)

	res, err = s.Edit(EditOptions{NoValidate: true}, mutate)
	if err != nil || !res.Changed || len(res.Problems) != 0 {
		t.Fatalf("Edit with NoValidate = %+v, %v", res, err)
	}
	l, _ := s.Load()
	if l.Config.Deployment("default").Canary.DefaultStorageAccount != "nope" {
		t.Error("NoValidate edit was not saved")
	}
}

// TestStoreEditPreexistingError: problems already in the file do not block
// an unrelated edit, even when their remediation text changes with it.
func TestStoreEditPreexistingError(t *testing.T) {
	broken := strings.Replace(string(readTestdata(t, "good/seed.yaml")),
		"defaultMetricsAccount: my-prometheus", "defaultMetricsAccount: ghost", 1)
	tests := []struct {
		name   string
		mutate func(d *DeploymentConfiguration)
	}{
		{"unrelated field", func(d *DeploymentConfiguration) { d.Canary.TemplatesEnabled = false }},
		{"adds a metrics account", func(d *DeploymentConfiguration) {
			si := d.Canary.Integration("datadog")
			si.Enabled = true
			si.Accounts = append(si.Accounts, &Account{Name: "dd", Values: map[string]string{
				"endpoint.baseUrl": "https://app.datadoghq.com", "apiKey": "k", "applicationKey": "a"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, "")
			writeFile(t, s.Home, "config", []byte(broken), 0o600)
			res, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
				tt.mutate(d)
				return nil
			})
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if !res.Changed {
				t.Error("not saved")
			}
			if !slices.ContainsFunc(res.Problems, func(p Problem) bool {
				return p.Severity == Error && p.Location == "default.canary.defaultMetricsAccount"
			}) {
				t.Errorf("the pre-existing ERROR is not reported: %v", res.Problems)
			}
		})
	}
	// The same file still refuses an edit that adds a second ERROR.
	s := newTestStore(t, "")
	writeFile(t, s.Home, "config", []byte(broken), 0o600)
	_, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		d.Canary.DefaultJudge = ""
		return nil
	})
	var be *BlockedError
	if !errors.As(err, &be) || len(be.New) != 1 || be.New[0].Location != "default.canary.defaultJudge" {
		t.Errorf("Edit adding a second ERROR = %v", err)
	}
}

func TestStoreEditErrors(t *testing.T) {
	s := newTestStore(t, "good/two-deployments.yaml")
	data := readTestdata(t, "good/two-deployments.yaml")
	mtime := ageFile(t, s.Path)

	_, err := s.Edit(EditOptions{Deployment: "prod"}, func(*Halconfig, *DeploymentConfiguration) error { return nil })
	var nf *DeploymentNotFoundError
	if !errors.As(err, &nf) || nf.Name != "prod" || !reflect.DeepEqual(nf.Known, []string{"default", "staging"}) {
		t.Errorf("Edit of an unknown deployment = %v", err)
	}

	boom := errors.New("boom")
	if _, err := s.Edit(EditOptions{}, func(*Halconfig, *DeploymentConfiguration) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("mutate's error not returned: %v", err)
	}

	// mutate gets the deployment named by --deployment, or the current one.
	for _, tt := range []struct{ opt, want string }{{"", "staging"}, {"default", "default"}} {
		_, _ = s.Edit(EditOptions{Deployment: tt.opt}, func(h *Halconfig, d *DeploymentConfiguration) error {
			if d.Name != tt.want || h.Deployment(tt.want) != d {
				t.Errorf("Deployment %q: mutate got %q", tt.opt, d.Name)
			}
			return nil
		})
	}
	assertUnchanged(t, s.Path, data, mtime)
}

func TestStoreLock(t *testing.T) {
	s := newTestStore(t, "")
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Edit(EditOptions{}, func(*Halconfig, *DeploymentConfiguration) error { return nil }); err == nil || !strings.Contains(err.Error(), "another ctl is editing") {
		t.Errorf("Edit while locked = %v", err)
	}
	if time.Since(start) < s.LockTimeout {
		t.Error("gave up before LockTimeout")
	}
	unlock()
	if _, err := s.Edit(EditOptions{}, func(*Halconfig, *DeploymentConfiguration) error { return nil }); err != nil {
		t.Errorf("Edit after unlock: %v", err)
	}
}

// TestStoreEditMigrates: an edit of a ctl/v1alpha1 file writes ctl/v1 and
// keeps the original bytes as config.ctl-v1alpha1.bak (0600), once.
func TestStoreEditMigrates(t *testing.T) {
	s := newTestStore(t, "good/seed-v1alpha1.yaml")
	orig := readTestdata(t, "good/seed-v1alpha1.yaml")

	// An edit that changes nothing leaves the old file alone.
	res, err := s.Edit(EditOptions{}, func(*Halconfig, *DeploymentConfiguration) error { return nil })
	if err != nil || res.Changed || res.Migrated != "" {
		t.Fatalf("no-op Edit = %+v, %v", res, err)
	}
	bak := s.Path + ".ctl-v1alpha1.bak"
	if _, err := os.Stat(bak); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a no-op edit wrote %s", bak)
	}

	res, err = s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		d.Canary.ShowAllConfigsEnabled = false
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Migrated != "ctl/v1alpha1" {
		t.Errorf("EditResult = %+v, want Changed and Migrated ctl/v1alpha1", res)
	}
	got, _ := os.ReadFile(bak)
	if !bytes.Equal(got, orig) {
		t.Errorf("%s does not hold the original bytes:\n%s", bak, got)
	}
	if m := mode(t, bak); m != 0o600 {
		t.Errorf("backup mode %v, want 0600", m)
	}
	want := strings.Replace(string(readTestdata(t, "good/seed.yaml")), "showAllConfigsEnabled: true", "showAllConfigsEnabled: false", 1)
	if now, _ := os.ReadFile(s.Path); string(now) != want {
		t.Errorf("migrated file\n%s\nwant\n%s", now, want)
	}
	l, err := s.Load()
	if err != nil || l.Version != APIVersion {
		t.Fatalf("Load after migration: %+v, %v", l, err)
	}

	// The next edit is a plain ctl/v1 edit; the backup is not touched.
	bakMtime := ageFile(t, bak)
	res, err = s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		d.Canary.ShowAllConfigsEnabled = true
		return nil
	})
	if err != nil || !res.Changed || res.Migrated != "" {
		t.Errorf("second Edit = %+v, %v", res, err)
	}
	assertUnchanged(t, bak, orig, bakMtime)
	for _, p := range listHome(t, s.Home) {
		if strings.Contains(p, ".tmp") {
			t.Errorf("temp file left: %s", p)
		}
	}
}

// TestStoreEditNoCurrentDeployment: every edit resolves the current
// deployment first, so a file without one could never be fixed with ctl;
// Parse therefore refuses it with the position.
func TestStoreEditNoCurrentDeployment(t *testing.T) {
	s := newTestStore(t, "bad/no-current-deployment.yaml")
	_, err := s.Edit(EditOptions{}, func(h *Halconfig, d *DeploymentConfiguration) error {
		h.CurrentDeployment = "default"
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), s.Path+":1:1: currentDeployment: missing") {
		t.Errorf("Edit = %v", err)
	}
}
