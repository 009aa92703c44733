package backup_test

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// state is what a user sees of a home: `ctl config canary -o yaml`, the
// config file, and every file a restore may change.
type state struct {
	canary string
	config string
	files  map[string]string
}

func (s state) diff(o state) []string {
	var out []string
	if s.canary != o.canary {
		out = append(out, "ctl config canary -o yaml differs")
	}
	if s.config != o.config {
		out = append(out, "config differs")
	}
	return append(out, diffTrees(s.files, o.files)...)
}

// capture runs `ctl config canary -o yaml` with the real binary (which
// finishes an interrupted restore first) and reads the home.
func capture(t *testing.T, home string) state {
	t.Helper()
	cmd := exec.Command(binary, "config", "canary", "-o", "yaml")
	cmd.Env = append(os.Environ(), "CTL_HOME="+home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ctl config canary -o yaml: %v\n%s", err, out)
	}
	cfg, err := os.ReadFile(filepath.Join(home, "config"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for rel, v := range treeHash(t, home) {
		first := strings.Split(rel, string(filepath.Separator))[0]
		if first == "backups" || rel == "config.lock" || rel == "." {
			continue
		}
		if strings.HasPrefix(first, ".restore") {
			t.Errorf("%s is left after the interrupted restore was finished", rel)
			continue
		}
		files[rel] = v
	}
	return state{canary: string(out), config: string(cfg), files: files}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.RemoveAll(to); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		target := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// restoreUntil runs the real binary's restore paused at step and kills it
// there with SIGKILL. It returns false if the restore finished without
// reaching step (there is no such step).
func restoreUntil(t *testing.T, home, archive, step string) bool {
	t.Helper()
	cmd := exec.Command(binary, "backup", "restore", "--backup-path", archive, "--yes")
	cmd.Env = append(os.Environ(), "CTL_HOME="+home, "CTL_TEST_RESTORE_PAUSE="+step)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	paused := make(chan bool, 1)
	var lines []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if sc.Text() == "ctl-test: restore paused at "+step {
				paused <- true
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
		}
		paused <- false
	}()
	select {
	case ok := <-paused:
		if !ok {
			err := cmd.Wait()
			if err != nil {
				t.Fatalf("restore (pause at %s) failed: %v\n%s", step, err, strings.Join(lines, "\n"))
			}
			return false
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("restore did not reach step %s in 60s", step)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	return true
}

// TestKilledRestore kills a real `ctl backup restore` with SIGKILL at every
// step of its swap. The next ctl command must see the complete old state
// (killed before the journal was written) or the complete new one (the
// journal is rolled forward), never a mix.
func TestKilledRestore(t *testing.T) {
	e := newEnv(t)
	e.seed()
	archive := filepath.Join(t.TempDir(), "new.tar.gz")
	e.createBackup("--include-secrets", "--output", archive)

	// The old state differs everywhere a restore writes: config, profiles,
	// service settings, a deployment the backup does not have.
	e.ok("config", "canary", "edit", "--stages-enabled", "false")
	e.ok("config", "canary", "prometheus", "account", "add", "old-only", "--base-url", "http://old:9090")
	e.ok("config", "--set-current-deployment", "extra")
	e.write("extra: old\n", "extra", "profiles", "kayenta.yml")
	e.write("extra: old\n", "extra", "service-settings", "kayenta.yml")
	e.ok("config", "--set-current-deployment", "default")
	e.write("kayenta:\n  jvmOpts: -Xmx4g # old\n", "default", "profiles", "kayenta-local.yml")
	e.write("old\n", "default", "service-settings", "kayenta.yml")
	e.write("old: true\n", "staging", "profiles", "sub", "deep.yml")

	template := filepath.Join(t.TempDir(), "old-home")
	copyTree(t, e.home, template)
	oldState := capture(t, e.home)

	// The complete new state, from a restore that is not interrupted.
	if restoreUntil(t, e.home, archive, "no-such-step") {
		t.Fatal("restore paused at a step that does not exist")
	}
	newState := capture(t, e.home)
	if len(newState.diff(oldState)) == 0 {
		t.Fatal("the restore changed nothing; the test cannot tell old from new")
	}

	steps := []string{"staged", "journal"}
	for i := 1; ; i++ {
		steps = append(steps, fmt.Sprintf("move-%d", i))
		if i > 100 {
			t.Fatal("more than 100 moves")
		}
		copyTree(t, template, e.home)
		if !restoreUntil(t, e.home, archive, steps[len(steps)-1]) {
			steps = steps[:len(steps)-1]
			if i < 6 {
				t.Fatalf("only %d moves: the swap should move profiles, service-settings, required files and the config", i-1)
			}
			break
		}
		checkAfterKill(t, e.home, steps[len(steps)-1], oldState, newState)
	}
	for _, step := range []string{"staged", "journal", "journal-removed"} {
		copyTree(t, template, e.home)
		if !restoreUntil(t, e.home, archive, step) {
			t.Fatalf("the restore never reached step %s", step)
		}
		checkAfterKill(t, e.home, step, oldState, newState)
	}
	t.Logf("killed at every step: %s, journal-removed", strings.Join(steps, ", "))
}

func checkAfterKill(t *testing.T, home, step string, oldState, newState state) {
	t.Helper()
	got := capture(t, home)
	want, name := newState, "new"
	if step == "staged" { // before the journal: nothing has moved
		want, name = oldState, "old"
	}
	if d := got.diff(want); len(d) > 0 {
		other := "new"
		if name == "new" {
			other = "old"
		}
		mixed := len(got.diff(map[string]state{"old": oldState, "new": newState}[other])) > 0
		t.Errorf("killed at %s: the state is not the complete %s one (mixed with %s: %v):\n%s", step, name, other, mixed, strings.Join(d, "\n"))
	}
	if _, err := os.Stat(filepath.Join(home, ".restore-journal.json")); err == nil {
		t.Errorf("killed at %s: the journal is still there after the next command", step)
	}
}
