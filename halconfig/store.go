package halconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Store is the config home: $CTL_HOME with the config file and one folder per
// deployment (profiles/, service-settings/), as Halyard lays out ~/.hal.
type Store struct {
	// Home is $CTL_HOME.
	Home string
	// Path is the config file ($CTL_HOME/config unless --config/CTL_CONFIG).
	Path string
	// LockTimeout bounds the wait for another ctl's edit to finish.
	LockTimeout time.Duration
}

// NewStore returns the store at home; path "" means home/config.
func NewStore(home, path string) *Store {
	if path == "" {
		path = filepath.Join(home, "config")
	}
	return &Store{Home: home, Path: path, LockTimeout: time.Minute}
}

// DeploymentDir is $CTL_HOME/<deployment>.
func (s *Store) DeploymentDir(name string) string { return filepath.Join(s.Home, name) }

// Loaded is a config as read from disk.
type Loaded struct {
	Config *Halconfig
	// Version is the schema version on disk (older than APIVersion when migrated).
	Version string
	// Raw holds the file's bytes; nil when there was no file.
	Raw []byte
}

// Load reads the config. A missing file gives the default config. Reads take
// no lock: writes replace the file by rename, so a reader sees a whole file.
func (s *Store) Load() (*Loaded, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Loaded{Config: NewConfig(), Version: APIVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, version, err := Parse(s.Path, data)
	if err != nil {
		return nil, err
	}
	return &Loaded{Config: cfg, Version: version, Raw: data}, nil
}

// Lock takes the exclusive edit lock (a flock on <config>.lock) and returns
// the function that releases it.
func (s *Store) Lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return nil, fmt.Errorf("creating config folder: %w", err)
	}
	f, err := os.OpenFile(s.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	deadline := time.Now().Add(s.LockTimeout)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			_ = f.Close()
			return nil, fmt.Errorf("another ctl is editing %s (lock %s.lock held for over %s): %w", s.Path, s.Path, s.LockTimeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Save writes cfg atomically; the caller holds the lock. When the file on
// disk was an older schema, its bytes are first kept as config.<version>.bak
// (a time-stamped name when that file holds an earlier original), and
// backup is that file's path.
func (s *Store) Save(cfg *Halconfig, prev *Loaded) (backup string, err error) {
	cfg.Normalize()
	data, err := Marshal(cfg)
	if err != nil {
		return "", err
	}
	if prev != nil && prev.Raw != nil && prev.Version != APIVersion {
		backup = fmt.Sprintf("%s.%s.bak", s.Path, sanitizeVersion(prev.Version))
		if old, err := os.ReadFile(backup); err == nil && !bytes.Equal(old, prev.Raw) {
			// An earlier migration's original is kept; this one gets a time-stamped name.
			backup = fmt.Sprintf("%s.%s.%s.bak", s.Path, sanitizeVersion(prev.Version), time.Now().UTC().Format("20060102T150405Z"))
		}
		if err := WriteFileAtomic(backup, prev.Raw, 0o600); err != nil {
			return "", fmt.Errorf("keeping the %s file before migrating: %w", prev.Version, err)
		}
	}
	if err := WriteFileAtomic(s.Path, data, 0o600); err != nil {
		return "", fmt.Errorf("writing config: %w", err)
	}
	for _, d := range cfg.DeploymentConfigurations {
		for _, sub := range []string{"profiles", "service-settings"} {
			if err := os.MkdirAll(filepath.Join(s.DeploymentDir(d.Name), sub), 0o700); err != nil {
				return "", fmt.Errorf("creating deployment folder: %w", err)
			}
		}
	}
	return backup, nil
}

func sanitizeVersion(v string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator {
			return '-'
		}
		return r
	}, []byte(v)))
}

// WriteFileAtomic writes data to path through a temp file in the same folder:
// write, fsync, chmod, rename, fsync the folder. A reader or a crash sees the
// old file or the new one, never a mix.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
