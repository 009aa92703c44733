package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctlproject/ctl/halconfig"
)

// JournalName is the file in $CTL_HOME that says a restore is swapping
// entries in; Recover finishes it.
const JournalName = ".restore-journal.json"

// stagingPrefix starts the name of a restore's staging folder in $CTL_HOME.
const stagingPrefix = ".restore-staging-"

// staleAfter is how old an unlocked staging folder without a lock file must
// be before Recover removes it (a restore creates the lock file right after
// the folder).
const staleAfter = 10 * time.Minute

// journal lists the renames that swap a restore in. Everything they move is
// already staged and fsynced, so finishing them needs nothing else.
type journal struct {
	Version int `json:"version"`
	// Staging is the staging folder; every From and Aside is inside it.
	Staging string `json:"staging"`
	// Config is the config file path: its lock serializes the restore with
	// edits and with Recover, and it is the one target allowed outside
	// $CTL_HOME (--config).
	Config string `json:"config"`
	Moves  []move `json:"moves"`
}

// move renames From to To. If To exists and Aside is set, To is first
// renamed to Aside. From "" only moves To aside. A move is idempotent: a
// From that is gone has been moved already.
type move struct {
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
	Aside string `json:"aside,omitempty"`
}

func (m move) apply() error {
	if m.From != "" {
		ok, err := exists(m.From)
		if err != nil {
			return err
		}
		if !ok {
			return nil // done before an interruption
		}
	}
	if m.Aside != "" {
		ok, err := exists(m.To)
		if err != nil {
			return err
		}
		if ok {
			if err := os.MkdirAll(filepath.Dir(m.Aside), 0o700); err != nil {
				return err
			}
			if err := os.Rename(m.To, m.Aside); err != nil {
				return err
			}
		}
	}
	if m.From == "" {
		return syncDir(filepath.Dir(m.To))
	}
	if err := os.MkdirAll(filepath.Dir(m.To), 0o700); err != nil {
		return err
	}
	if err := moveInto(m.From, m.To); err != nil {
		return err
	}
	return syncDir(filepath.Dir(m.To))
}

// apply runs every move in order; pause (if not nil) is called after each.
func (j *journal) apply(pause func(step string)) error {
	for i, m := range j.Moves {
		if err := m.apply(); err != nil {
			return fmt.Errorf("moving %s to %s: %w", m.From, m.To, err)
		}
		if pause != nil {
			pause(fmt.Sprintf("move-%d", i+1))
		}
	}
	return nil
}

// check refuses a journal that would move anything outside $CTL_HOME (or
// onto another config than its own).
func (j *journal) check(home string) error {
	inside := func(p, dir string) bool {
		rel, err := filepath.Rel(dir, p)
		return err == nil && filepath.IsAbs(p) && rel != "." && !strings.HasPrefix(rel, "..")
	}
	if j.Version != 1 {
		return fmt.Errorf("unknown journal version %d", j.Version)
	}
	if filepath.Dir(j.Staging) != home || !strings.HasPrefix(filepath.Base(j.Staging), stagingPrefix) {
		return fmt.Errorf("staging folder %q is not a %s* folder of %s", j.Staging, stagingPrefix, home)
	}
	if !filepath.IsAbs(j.Config) {
		return fmt.Errorf("config path %q is not absolute", j.Config)
	}
	for _, m := range j.Moves {
		if m.From != "" && !inside(m.From, j.Staging) {
			return fmt.Errorf("%q is outside the staging folder", m.From)
		}
		if m.Aside != "" && !inside(m.Aside, j.Staging) {
			return fmt.Errorf("%q is outside the staging folder", m.Aside)
		}
		if m.To != j.Config && !inside(m.To, home) {
			return fmt.Errorf("%q is outside %s", m.To, home)
		}
	}
	return nil
}

func readJournal(home string) (*journal, error) {
	path := filepath.Join(home, JournalName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	j := &journal{}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := j.check(home); err != nil {
		return nil, fmt.Errorf("refusing %s: %w", path, err)
	}
	return j, nil
}

// Recover finishes a restore that was interrupted (killed, power loss)
// after its journal was written, by rolling the journal forward: every
// entry is already staged, so the result is the complete restored state.
// Without a journal it removes staging folders left by restores killed
// earlier (which changed nothing). It is cheap when there is nothing to do,
// and every ctl command runs it before it reads the config.
func Recover(home string) error {
	jpath := filepath.Join(home, JournalName)
	if _, err := os.Lstat(jpath); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			cleanStale(home)
			return nil
		}
		return fmt.Errorf("checking for an interrupted restore: %w", err)
	}
	fail := func(err error) error {
		return fmt.Errorf("an interrupted `ctl backup restore` could not be finished (journal %s): %w; fix the cause and run ctl again, or restore the pre-restore backup in %s",
			jpath, err, filepath.Join(home, BackupsDir))
	}
	refused := func(err error) error {
		return fmt.Errorf("%w; nothing was moved: if no `ctl backup restore` is running, move %s away to use ctl again", err, jpath)
	}
	j, err := readJournal(home)
	if err != nil {
		return refused(err)
	}
	// The restore that wrote the journal holds the config lock until it
	// is done; wait for it, then look again.
	unlock, err := halconfig.NewStore(home, j.Config).Lock()
	if err != nil {
		return fail(err)
	}
	defer unlock()
	if j, err = readJournal(home); errors.Is(err, fs.ErrNotExist) {
		return nil // the restore finished while we waited
	} else if err != nil {
		return refused(err)
	}
	if err := j.apply(nil); err != nil {
		return fail(err)
	}
	if err := finish(home, j); err != nil {
		return fail(err)
	}
	return nil
}

// finish removes the journal, then the staging folder with the old entries.
func finish(home string, j *journal) error {
	if err := os.Remove(filepath.Join(home, JournalName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := syncDir(home); err != nil {
		return err
	}
	return os.RemoveAll(j.Staging)
}

// cleanStale removes staging folders of restores that died before writing
// a journal. A live restore holds a flock on its folder's .lock file.
func cleanStale(home string) {
	entries, err := os.ReadDir(home)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		dir := filepath.Join(home, e.Name())
		f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleAfter {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		if err != nil {
			continue
		}
		if flockTry(f) {
			_ = os.RemoveAll(dir)
		}
		f.Close()
	}
}

// staging is a restore's staging folder, locked for the restore's lifetime.
type staging struct {
	dir  string
	lock *os.File
}

func newStaging(home string) (*staging, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", home, err)
	}
	dir, err := os.MkdirTemp(home, stagingPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating the restore's staging folder in %s: %w", home, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating the restore's staging folder in %s: %w", home, err)
	}
	if !flockTry(f) {
		f.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("locking the restore's staging folder %s", dir)
	}
	return &staging{dir: dir, lock: f}, nil
}

// tree is where the archive's entries are extracted.
func (s *staging) tree() string { return filepath.Join(s.dir, "tree") }

// config is where the restored config is staged.
func (s *staging) config() string { return filepath.Join(s.dir, "config.new") }

// old is where replaced entries are moved aside.
func (s *staging) old() string { return filepath.Join(s.dir, "old") }

func (s *staging) remove() {
	_ = os.RemoveAll(s.dir)
	s.lock.Close()
}

func jsonIndent(j *journal) ([]byte, error) {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
