package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ctlproject/ctl/halconfig"
)

// syncDir fsyncs a folder, so the renames and creations in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// syncTree fsyncs every folder under root (files are synced when written).
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(p)
		}
		return nil
	})
}

// writeFileSync creates path (which must not exist) with mode 0600, writes
// data and fsyncs it.
func writeFileSync(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// publish puts the finished temp file tmp at path without ever replacing an
// existing file: a hard link fails if path exists, where a rename would
// silently overwrite it. It reports fs.ErrExist when path exists.
func publish(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil {
		_ = os.Remove(tmp)
		return syncDir(filepath.Dir(path))
	}
	if errors.Is(err, fs.ErrExist) {
		return fs.ErrExist
	}
	// No hard links on this filesystem: check, then rename.
	if _, statErr := os.Lstat(path); statErr == nil {
		return fs.ErrExist
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// moveInto renames src to dst. When they are on different filesystems (a
// --config outside $CTL_HOME) a regular file is written to dst with
// halconfig.WriteFileAtomic, which is just as atomic for readers, then src
// is removed.
func moveInto(src, dst string) error {
	err := os.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("cannot move folder %s to another filesystem (%s)", src, dst)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := halconfig.WriteFileAtomic(dst, data, 0o600); err != nil {
		return err
	}
	return os.Remove(src)
}

// exists reports whether path exists (without following a final symlink).
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// flockTry takes an exclusive flock on f without waiting.
func flockTry(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
