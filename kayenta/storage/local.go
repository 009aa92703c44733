package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"
)

const (
	localLockFile = ".lock"   // flock: exclusive for writes, shared for reads
	localTmpDir   = ".tmp"    // temp files, renamed into place (same filesystem)
	leaseGroup    = "leases"  // <dir>/leases/<name>, <rootFolder>/leases/<name>
	staleTmpAge   = time.Hour // NewLocal removes older temp files (crashed writers)
)

// localStore keeps every object in a file <dir>/<group>/<id>/<filename>.
// All access goes through an os.Root on dir, so no path can leave it even
// through a symlink; ids are validated on top of that. Writes are atomic
// (temp file, fsync, rename, fsync of the folder) and serialised with an
// exclusive flock on <dir>/.lock; reads take it shared.
type localStore struct {
	dir   string
	where string
}

// NewLocal returns a store in the folder dir, created (0700) if missing.
// Files are written 0600 and folders 0700. Processes on one host may share
// dir; it must not be on a network filesystem whose flock is not exclusive
// between hosts.
func NewLocal(dir string) (Store, error) {
	if !flockSupported {
		return nil, errors.New("local store: not supported on this platform (needs flock)")
	}
	if dir == "" {
		return nil, errors.New("local store: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	s := &localStore{dir: abs, where: "local store " + abs}
	if err := os.MkdirAll(filepath.Join(abs, localTmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("%s: creating folder: %w", s.where, err)
	}
	root, err := s.open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(localLockFile, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: creating lock file: %w", s.where, err)
	}
	f.Close()
	s.removeStaleTemp(root)
	return s, nil
}

func (s *localStore) String() string { return s.where }

func (s *localStore) open() (*os.Root, error) {
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.where, err)
	}
	return root, nil
}

// locked opens the root and runs fn under the flock.
func (s *localStore) locked(ctx context.Context, exclusive bool, fn func(root *os.Root) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", s.where, err)
	}
	root, err := s.open()
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.OpenFile(localLockFile, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("%s: opening lock file: %w", s.where, err)
	}
	defer f.Close()
	if err := flock(ctx, f, exclusive); err != nil {
		return fmt.Errorf("%s: locking %s: %w", s.where, filepath.Join(s.dir, localLockFile), err)
	}
	defer funlock(f)
	return fn(root)
}

func (s *localStore) removeStaleTemp(root *os.Root) {
	d, err := root.Open(localTmpDir)
	if err != nil {
		return
	}
	defer d.Close()
	ents, _ := d.ReadDir(-1)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTmpAge {
			_ = root.Remove(path.Join(localTmpDir, e.Name()))
		}
	}
}

// writeTemp writes data to a new temp file, fsyncs it and returns its name
// (relative to root).
func (s *localStore) writeTemp(root *os.Root, data []byte) (string, error) {
	if err := root.MkdirAll(localTmpDir, 0o700); err != nil {
		return "", err
	}
	name := path.Join(localTmpDir, randomToken())
	f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = root.Remove(name)
		return "", err
	}
	return name, nil
}

// writeAtomic replaces name with data: temp file, fsync, rename, fsync dir.
func (s *localStore) writeAtomic(root *os.Root, name string, data []byte) error {
	if err := root.MkdirAll(path.Dir(name), 0o700); err != nil {
		return err
	}
	tmp, err := s.writeTemp(root, data)
	if err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return syncDir(root, path.Dir(name))
}

func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// files returns the regular files of the folder dir, sorted; none when dir
// does not exist.
func files(root *os.Root, dir string) ([]fs.DirEntry, error) {
	d, err := root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := ents[:0]
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (s *localStore) Put(ctx context.Context, t ObjectType, id, filename string, data []byte) error {
	if err := checkObject(t, id); err != nil {
		return fmt.Errorf("%s: put: %w", s.where, err)
	}
	filename, err := resolveFilename(t, filename)
	if err != nil {
		return fmt.Errorf("%s: put %s %q: %w", s.where, t, id, err)
	}
	idDir := path.Join(t.Group(), id)
	name := path.Join(idDir, filename)
	return s.locked(ctx, true, func(root *os.Root) error {
		if err := s.writeAtomic(root, name, data); err != nil {
			return fmt.Errorf("%s: writing %s: %w", s.where, name, err)
		}
		ents, err := files(root, idDir)
		if err != nil {
			return fmt.Errorf("%s: reading %s: %w", s.where, idDir, err)
		}
		removed := false
		for _, e := range ents {
			if e.Name() != filename {
				if err := root.Remove(path.Join(idDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%s: removing the previous object of %s %q: %w", s.where, t, id, err)
				}
				removed = true
			}
		}
		if removed {
			if err := syncDir(root, idDir); err != nil {
				return fmt.Errorf("%s: syncing %s: %w", s.where, idDir, err)
			}
		}
		return nil
	})
}

func (s *localStore) Get(ctx context.Context, t ObjectType, id string) ([]byte, error) {
	if err := checkObject(t, id); err != nil {
		return nil, fmt.Errorf("%s: get: %w", s.where, err)
	}
	idDir := path.Join(t.Group(), id)
	var data []byte
	err := s.locked(ctx, false, func(root *os.Root) error {
		ents, err := files(root, idDir)
		if err != nil {
			return fmt.Errorf("%s: reading %s: %w", s.where, idDir, err)
		}
		switch len(ents) {
		case 0:
			return notFound(s.where, t, id)
		case 1:
		default:
			names := make([]string, len(ents))
			for i, e := range ents {
				names[i] = e.Name()
			}
			return ambiguous(s.where, t, id, names)
		}
		name := path.Join(idDir, ents[0].Name())
		data, err = root.ReadFile(name)
		if err != nil {
			return fmt.Errorf("%s: reading %s: %w", s.where, name, err)
		}
		return nil
	})
	return data, err
}

func (s *localStore) Delete(ctx context.Context, t ObjectType, id string) error {
	if err := checkObject(t, id); err != nil {
		return fmt.Errorf("%s: delete: %w", s.where, err)
	}
	idDir := path.Join(t.Group(), id)
	return s.locked(ctx, true, func(root *os.Root) error {
		ents, err := files(root, idDir)
		if err != nil {
			return fmt.Errorf("%s: reading %s: %w", s.where, idDir, err)
		}
		if len(ents) == 0 {
			return notFound(s.where, t, id)
		}
		if err := root.RemoveAll(idDir); err != nil {
			return fmt.Errorf("%s: removing %s: %w", s.where, idDir, err)
		}
		if err := syncDir(root, t.Group()); err != nil {
			return fmt.Errorf("%s: syncing %s: %w", s.where, t.Group(), err)
		}
		return nil
	})
}

func (s *localStore) List(ctx context.Context, t ObjectType) ([]ObjectInfo, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%s: list: invalid object type %d", s.where, int(t))
	}
	infos := []ObjectInfo{}
	err := s.locked(ctx, false, func(root *os.Root) error {
		d, err := root.Open(t.Group())
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: list %s: %w", s.where, t, err)
		}
		defer d.Close()
		ids, err := d.ReadDir(-1)
		if err != nil {
			return fmt.Errorf("%s: list %s: %w", s.where, t, err)
		}
		for _, e := range ids {
			if !e.IsDir() || ValidateID(e.Name()) != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: list %s: %w", s.where, t, err)
			}
			ents, err := files(root, path.Join(t.Group(), e.Name()))
			if err != nil {
				return fmt.Errorf("%s: list %s: %w", s.where, t, err)
			}
			for _, f := range ents {
				fi, err := f.Info()
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return fmt.Errorf("%s: list %s: %w", s.where, t, err)
				}
				infos = append(infos, ObjectInfo{ID: e.Name(), Name: nameOf(f.Name()), Updated: fi.ModTime()})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortInfos(infos)
	return infos, nil
}

// readLease reads the record of a lease; ok is false when there is none.
func (s *localStore) readLease(root *os.Root, name string) (rec leaseRecord, ok bool, err error) {
	file := path.Join(leaseGroup, name)
	b, err := root.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("%s: reading %s: %w", s.where, file, err)
	}
	rec, err = decodeRecord(fmt.Sprintf("%s: %s", s.where, file), b)
	return rec, err == nil, err
}

// AcquireLease keeps the lease in <dir>/leases/<name>. Under the exclusive
// flock it reads the record; a missing one is created exclusively (a fully
// written temp file hard-linked into place, which fails like O_EXCL if the
// name exists), an expired one is replaced by rename.
func (s *localStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return nil, fmt.Errorf("%s: acquire lease: %w", s.where, err)
	}
	file := path.Join(leaseGroup, name)
	var h *leaseHandle
	err := s.locked(ctx, true, func(root *os.Root) error {
		cur, exists, err := s.readLease(root, name)
		if err != nil {
			return err
		}
		now := time.Now()
		if exists && cur.live(now) {
			return fmt.Errorf("%s: %w", s.where, cur.heldError(name))
		}
		rec := newRecord(holder, randomToken(), now, now, ttl)
		if exists {
			err = s.writeAtomic(root, file, rec.encode())
		} else {
			err = s.createExclusive(root, file, rec.encode())
		}
		if err != nil {
			return fmt.Errorf("%s: writing lease %s: %w", s.where, file, err)
		}
		h = newHandle(s, s.where, name, holder, rec, ttl, rec.Write)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func (s *localStore) createExclusive(root *os.Root, name string, data []byte) error {
	if err := root.MkdirAll(path.Dir(name), 0o700); err != nil {
		return err
	}
	tmp, err := s.writeTemp(root, data)
	if err != nil {
		return err
	}
	defer root.Remove(tmp)
	if err := root.Link(tmp, name); err != nil {
		return err
	}
	return syncDir(root, path.Dir(name))
}

func (s *localStore) renew(ctx context.Context, h *leaseHandle, rec leaseRecord) (string, error) {
	file := path.Join(leaseGroup, h.name)
	err := s.locked(ctx, true, func(root *os.Root) error {
		cur, exists, err := s.readLease(root, h.name)
		if err != nil {
			return err
		}
		if !exists {
			return h.lostError("renew", "it was released")
		}
		// cur.Token == rec.Token: an earlier renew of ours was written but
		// reported an error; the lease is still ours.
		if cur.Write != h.version && cur.Token != rec.Token {
			return h.lostError("renew", fmt.Sprintf("taken over by %q", cur.Holder))
		}
		if err := s.writeAtomic(root, file, rec.encode()); err != nil {
			return fmt.Errorf("%s: writing lease %s: %w", s.where, file, err)
		}
		return nil
	})
	return rec.Write, err
}

func (s *localStore) release(ctx context.Context, h *leaseHandle) error {
	file := path.Join(leaseGroup, h.name)
	return s.locked(ctx, true, func(root *os.Root) error {
		cur, exists, err := s.readLease(root, h.name)
		if err != nil {
			return err
		}
		if !exists {
			return nil
		}
		if cur.Write != h.version {
			return h.lostError("release", fmt.Sprintf("taken over by %q", cur.Holder))
		}
		if err := root.Remove(file); err != nil {
			return fmt.Errorf("%s: removing lease %s: %w", s.where, file, err)
		}
		return syncDir(root, leaseGroup)
	})
}
