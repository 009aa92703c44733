package backup

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/halconfig"
)

func TestCheckName(t *testing.T) {
	ok := []string{"config", "secrets.age", "required-files/0123-kubeconfig", "default/profiles/kayenta.yml",
		"staging/service-settings/a/b/c.yml", "default/profiles/.hidden"}
	for _, n := range ok {
		if r := checkName(n); r != "" {
			t.Errorf("checkName(%q) = %q, want accepted", n, r)
		}
	}
	bad := map[string]string{
		"":                                   "empty",
		"/etc/passwd":                        "absolute",
		"../x":                               "escapes",
		"default/profiles/../../x":           "escapes",
		"default/profiles/./x":               "clean",
		"default//profiles/x":                "clean",
		"default/profiles/x/":                "clean",
		`default\profiles\x`:                 "backslash",
		"default/profiles/x\x00":             "NUL",
		"required-files/a/b":                 "not part",
		"required-files":                     "not part",
		"default/history/kayenta.yml":        "not part",
		"default/profiles":                   "not part",
		"Bad_Name/profiles/x":                "not part",
		"backups/ctl-backup-x.tar.gz":        "not part",
		".restore-journal.json":              "not part",
		"manifest.json":                      "appears again",
		"config.ctl-v1alpha1.bak":            "not part",
		"default/service-settings":           "not part",
		".restore-staging-1/tree/config.new": "not part",
	}
	for n, want := range bad {
		if r := checkName(n); !strings.Contains(r, want) {
			t.Errorf("checkName(%q) = %q, want it to mention %q", n, r, want)
		}
	}
}

// swapFixture is a home with an old state, a staging folder with the new
// one, and the journal that swaps them.
func swapFixture(t *testing.T) (home string, j *journal) {
	t.Helper()
	home = t.TempDir()
	write := func(p, data string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, "config"), "old config")
	write(filepath.Join(home, "default", "profiles", "p.yml"), "old profile")
	write(filepath.Join(home, "gone", "profiles", "g.yml"), "gone profile")
	write(filepath.Join(home, "default", "history", "h.yml"), "history")
	st := filepath.Join(home, stagingPrefix+"x")
	write(filepath.Join(st, "tree", "default", "profiles", "p.yml"), "new profile")
	write(filepath.Join(st, "tree", "required-files", "abc-key"), "key")
	write(filepath.Join(st, "config.new"), "new config")
	j = &journal{Version: 1, Staging: st, Config: filepath.Join(home, "config"), Moves: []move{
		{To: filepath.Join(home, "gone", "profiles"), Aside: filepath.Join(st, "old", "1")},
		{From: filepath.Join(st, "tree", "default", "profiles"), To: filepath.Join(home, "default", "profiles"), Aside: filepath.Join(st, "old", "2")},
		{From: filepath.Join(st, "tree", "required-files", "abc-key"), To: filepath.Join(home, "required-files", "abc-key"), Aside: filepath.Join(st, "old", "3")},
		{From: filepath.Join(st, "config.new"), To: filepath.Join(home, "config")},
	}}
	data, err := jsonIndent(j)
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(home, JournalName), string(data))
	return home, j
}

func assertNewState(t *testing.T, home string) {
	t.Helper()
	want := map[string]string{
		"config":                        "new config",
		"default/profiles/p.yml":        "new profile",
		"required-files/abc-key":        "key",
		"default/history/h.yml":         "history",
		"gone/profiles/g.yml":           "",
		".restore-journal.json":         "",
		stagingPrefix + "x/.lock":       "",
		stagingPrefix + "x/old/2/p.yml": "",
	}
	for rel, w := range want {
		b, err := os.ReadFile(filepath.Join(home, rel))
		if w == "" {
			if err == nil {
				t.Errorf("%s still exists", rel)
			}
			continue
		}
		if err != nil || string(b) != w {
			t.Errorf("%s = %q (%v), want %q", rel, b, err, w)
		}
	}
}

// TestRecoverRollsForward interrupts the swap after every number of moves
// (and half-way through a move: target moved aside, source not yet in);
// Recover always ends in the complete new state.
func TestRecoverRollsForward(t *testing.T) {
	for done := 0; done <= 4; done++ {
		for _, half := range []bool{false, true} {
			home, j := swapFixture(t)
			for _, m := range j.Moves[:done] {
				if err := m.apply(); err != nil {
					t.Fatal(err)
				}
			}
			if half && done < len(j.Moves) && j.Moves[done].Aside != "" {
				m := j.Moves[done]
				if ok, _ := exists(m.To); ok {
					if err := os.MkdirAll(filepath.Dir(m.Aside), 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.Rename(m.To, m.Aside); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := Recover(home); err != nil {
				t.Fatalf("after %d moves (half %v): %v", done, half, err)
			}
			assertNewState(t, home)
			// A second Recover has nothing to do.
			if err := Recover(home); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRecoverRefusesHostileJournal: a journal that would move anything
// outside $CTL_HOME is refused and nothing moves.
func TestRecoverRefusesHostileJournal(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(j *journal){
		"target outside home":    func(j *journal) { j.Moves[0].To = victim },
		"source outside staging": func(j *journal) { j.Moves[1].From = victim },
		"aside outside staging":  func(j *journal) { j.Moves[1].Aside = filepath.Join(outside, "aside") },
		"staging elsewhere":      func(j *journal) { j.Staging = outside },
		"unknown version":        func(j *journal) { j.Version = 9 },
	} {
		t.Run(name, func(t *testing.T) {
			home, j := swapFixture(t)
			mutate(j)
			data, _ := json.Marshal(j)
			if err := os.WriteFile(filepath.Join(home, JournalName), data, 0o600); err != nil {
				t.Fatal(err)
			}
			err := Recover(home)
			if err == nil || !strings.Contains(err.Error(), JournalName) {
				t.Fatalf("Recover = %v, want an error naming the journal", err)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Error("the victim file was touched")
			}
			if b, _ := os.ReadFile(filepath.Join(home, "config")); string(b) != "old config" {
				t.Error("the config changed")
			}
		})
	}
}

// TestRecoverWaitsForLiveRestore: while a restore holds the config lock,
// Recover waits instead of racing it.
func TestRecoverWaitsForLiveRestore(t *testing.T) {
	home, _ := swapFixture(t)
	unlock, err := halconfig.NewStore(home, "").Lock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Recover(home) }()
	select {
	case err := <-done:
		t.Fatalf("Recover did not wait for the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if b, _ := os.ReadFile(filepath.Join(home, "config")); string(b) != "old config" {
		t.Fatal("Recover moved entries while the restore held the lock")
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	assertNewState(t, home)
}

// TestRecoverCleansStaleStaging: staging folders of restores that died
// before their journal are removed; a live restore's is kept.
func TestRecoverCleansStaleStaging(t *testing.T) {
	home := t.TempDir()
	live, err := newStaging(home)
	if err != nil {
		t.Fatal(err)
	}
	defer live.remove()
	dead, err := newStaging(home)
	if err != nil {
		t.Fatal(err)
	}
	dead.lock.Close() // the process died: its flock is gone
	young := filepath.Join(home, stagingPrefix+"young")
	old := filepath.Join(home, stagingPrefix+"old")
	for _, d := range []string{young, old} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	if err := Recover(home); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]bool{live.dir: true, dead.dir: false, young: true, old: false} {
		_, err := os.Stat(dir)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(dir), got, want)
		}
	}
}

// TestCreateNeverHolds: logs, caches, lock and temp files, old config
// copies, backups and history/ are never archived; symlinks are skipped
// with a warning.
func TestCreateNeverHolds(t *testing.T) {
	home := t.TempDir()
	store := halconfig.NewStore(home, "")
	if _, err := store.Edit(halconfig.EditOptions{}, func(h *halconfig.Halconfig, d *halconfig.DeploymentConfiguration) error {
		d.Canary.Enabled = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{
		"default/profiles/kayenta.yml":          true,
		"default/profiles/deep/er/x.yml":        true,
		"default/service-settings/kayenta.yml":  true,
		"default/profiles/kayenta.log":          false,
		"default/profiles/.cache/x":             false,
		"default/profiles/service-logs/x":       false,
		"default/service-settings/service-logs": false,
		"default/profiles/x.lock":               false,
		"default/profiles/x.tmp":                false,
		"default/profiles/.kayenta.yml.tmp-123": false,
		"default/history/kayenta.yml":           false,
		"default/staging/kayenta.yml":           false,
		"backups/ctl-backup-old.tar.gz":         false,
		"config.ctl-v1alpha1.bak":               false,
		"ghost/profiles/not-a-deployment.yml":   false,
		".restore-staging-1/tree/config":        false,
		"required-files/0123-leftover":          false,
	}
	for rel := range files {
		p := filepath.Join(home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(home, "default", "profiles", "link.yml")); err != nil {
		t.Fatal(err)
	}
	res, err := Create(store, CreateOptions{CtlVersion: "test", Output: filepath.Join(t.TempDir(), "b.tar.gz")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Manifest.Files {
		got[f.Name] = true
	}
	for rel, want := range files {
		if got[rel] != want {
			t.Errorf("%s archived = %v, want %v", rel, got[rel], want)
		}
	}
	if !got[ConfigName] || got["default/profiles/link.yml"] {
		t.Errorf("archived %v", res.Manifest.Files)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "link.yml") {
		t.Errorf("warnings %v, want one about the symlink", res.Warnings)
	}
	if _, err := Verify(res.Path, VerifyOptions{}); err != nil {
		t.Errorf("Verify of a fresh backup: %v", err)
	}
}

// TestListNewestFirst orders backups by their manifest's creation time.
func TestListNewestFirst(t *testing.T) {
	home := t.TempDir()
	store := halconfig.NewStore(home, "")
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, d := range []time.Duration{2 * time.Hour, 0, time.Hour} {
		if _, err := Create(store, CreateOptions{Now: func() time.Time { return base.Add(d) }}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := List(home)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, filepath.Base(s.Path))
	}
	want := "ctl-backup-20250102T050405Z.tar.gz ctl-backup-20250102T040405Z.tar.gz ctl-backup-20250102T030405Z.tar.gz"
	if strings.Join(names, " ") != want {
		t.Errorf("list order %v, want %s", names, want)
	}
}
