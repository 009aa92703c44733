package storage

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

type memObject struct {
	data    []byte
	updated time.Time
}

// memoryStore keeps objects in maps guarded by one mutex: the equivalent of
// Kayenta's kayenta-objectstore-memory account.
type memoryStore struct {
	where string

	mu      sync.Mutex
	objects map[ObjectType]map[string]map[string]memObject // type → id → filename → object
	leases  map[string]leaseRecord
}

// NewMemory returns an empty in-memory store; name (the account name) only
// appears in errors. Data lives as long as the Store value.
func NewMemory(name string) Store {
	return &memoryStore{
		where:   fmt.Sprintf("memory store %q", name),
		objects: map[ObjectType]map[string]map[string]memObject{},
		leases:  map[string]leaseRecord{},
	}
}

func (m *memoryStore) String() string { return m.where }

func (m *memoryStore) Put(ctx context.Context, t ObjectType, id, filename string, data []byte) error {
	if err := checkObject(t, id); err != nil {
		return fmt.Errorf("%s: put: %w", m.where, err)
	}
	filename, err := resolveFilename(t, filename)
	if err != nil {
		return fmt.Errorf("%s: put %s %q: %w", m.where, t, id, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: put %s %q: %w", m.where, t, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(t, id, filename, data, true)
	return nil
}

// putLocked stores a copy of data; replace removes the other filenames.
func (m *memoryStore) putLocked(t ObjectType, id, filename string, data []byte, replace bool) {
	ids := m.objects[t]
	if ids == nil {
		ids = map[string]map[string]memObject{}
		m.objects[t] = ids
	}
	files := ids[id]
	if files == nil || replace {
		files = map[string]memObject{}
		ids[id] = files
	}
	files[filename] = memObject{data: append([]byte(nil), data...), updated: time.Now()}
}

func (m *memoryStore) Get(ctx context.Context, t ObjectType, id string) ([]byte, error) {
	if err := checkObject(t, id); err != nil {
		return nil, fmt.Errorf("%s: get: %w", m.where, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: get %s %q: %w", m.where, t, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	files := m.objects[t][id]
	switch len(files) {
	case 0:
		return nil, notFound(m.where, t, id)
	case 1:
		for _, o := range files {
			return append([]byte(nil), o.data...), nil
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, ambiguous(m.where, t, id, names)
}

func (m *memoryStore) Delete(ctx context.Context, t ObjectType, id string) error {
	if err := checkObject(t, id); err != nil {
		return fmt.Errorf("%s: delete: %w", m.where, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: delete %s %q: %w", m.where, t, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.objects[t][id]) == 0 {
		return notFound(m.where, t, id)
	}
	delete(m.objects[t], id)
	return nil
}

func (m *memoryStore) List(ctx context.Context, t ObjectType) ([]ObjectInfo, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%s: list: invalid object type %d", m.where, int(t))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: list %s: %w", m.where, t, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	infos := []ObjectInfo{}
	for id, files := range m.objects[t] {
		for fn, o := range files {
			infos = append(infos, ObjectInfo{ID: id, Name: nameOf(fn), Updated: o.updated})
		}
	}
	sortInfos(infos)
	return infos, nil
}

func (m *memoryStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return nil, fmt.Errorf("%s: acquire lease: %w", m.where, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: acquire lease %q: %w", m.where, name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if cur, ok := m.leases[name]; ok && cur.live(now) {
		return nil, fmt.Errorf("%s: %w", m.where, cur.heldError(name))
	}
	rec := newRecord(holder, randomToken(), now, now, ttl)
	m.leases[name] = rec
	return newHandle(m, m.where, name, holder, rec, ttl, rec.Write), nil
}

func (m *memoryStore) renew(_ context.Context, h *leaseHandle, rec leaseRecord) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.leases[h.name]
	if !ok {
		return "", h.lostError("renew", "it was released")
	}
	if cur.Write != h.version {
		return "", h.lostError("renew", fmt.Sprintf("taken over by %q", cur.Holder))
	}
	m.leases[h.name] = rec
	return rec.Write, nil
}

func (m *memoryStore) release(_ context.Context, h *leaseHandle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.leases[h.name]
	if !ok {
		return nil
	}
	if cur.Write != h.version {
		return h.lostError("release", fmt.Sprintf("taken over by %q", cur.Holder))
	}
	delete(m.leases, h.name)
	return nil
}
