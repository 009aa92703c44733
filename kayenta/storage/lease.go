package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// leaseRecord is what a lease object holds, in every store.
//
// Write is new on every write, so two writes never produce the same bytes:
// an S3 ETag (the MD5 of the bytes) then identifies one write, which rules
// out the ABA problem for If-Match, and a writer whose response was lost can
// recognise its own write when it reads the record back.
type leaseRecord struct {
	Holder   string    `json:"holder"`
	Token    string    `json:"token"` // one per acquisition
	Write    string    `json:"write"` // one per write
	Acquired time.Time `json:"acquired"`
	Renewed  time.Time `json:"renewed"`
	Expires  time.Time `json:"expires"`
	TTL      string    `json:"ttl"`
}

func newRecord(holder, token string, acquired, now time.Time, ttl time.Duration) leaseRecord {
	return leaseRecord{
		Holder:   holder,
		Token:    token,
		Write:    randomToken(),
		Acquired: acquired,
		Renewed:  now,
		Expires:  now.Add(ttl),
		TTL:      ttl.String(),
	}
}

// live reports whether the record's lease has not expired at now.
func (r leaseRecord) live(now time.Time) bool { return now.Before(r.Expires) }

func (r leaseRecord) heldError(name string) error {
	return &LeaseHeldError{Name: name, Holder: r.Holder, Expires: r.Expires}
}

func (r leaseRecord) encode() []byte {
	b, err := json.Marshal(r)
	if err != nil { // cannot happen: strings and times only
		panic(err)
	}
	return b
}

func decodeRecord(where string, b []byte) (leaseRecord, error) {
	var r leaseRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: corrupt lease record: %w", where, err)
	}
	if r.Token == "" || r.Write == "" || r.Expires.IsZero() {
		return r, fmt.Errorf("%s: corrupt lease record: missing token, write or expires", where)
	}
	return r, nil
}

func randomToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil { // never fails on supported platforms
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// leaseOps is what a store does for a lease handle.
type leaseOps interface {
	// renew replaces the record whose version is h.version by rec; it
	// returns the new version, or an error wrapping ErrLeaseLost.
	renew(ctx context.Context, h *leaseHandle, rec leaseRecord) (version string, err error)
	// release deletes the record whose version is h.version.
	release(ctx context.Context, h *leaseHandle) error
}

// leaseHandle implements Lease for every store. version identifies the
// last write of this holder: the ETag on S3, the record's Write elsewhere.
type leaseHandle struct {
	ops      leaseOps
	where    string
	name     string
	holder   string
	token    string
	acquired time.Time
	ttl      time.Duration

	mu       sync.Mutex
	version  string
	expires  time.Time
	released bool
}

func (h *leaseHandle) Name() string   { return h.name }
func (h *leaseHandle) Holder() string { return h.holder }

func (h *leaseHandle) Expires() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.expires
}

func (h *leaseHandle) Renew(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return fmt.Errorf("%s: renew lease %q: already released: %w", h.where, h.name, ErrLeaseLost)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: renew lease %q: %w", h.where, h.name, err)
	}
	now := time.Now()
	rec := newRecord(h.holder, h.token, h.acquired, now, h.ttl)
	v, err := h.ops.renew(ctx, h, rec)
	if err != nil {
		return err
	}
	h.version, h.expires = v, rec.Expires
	return nil
}

func (h *leaseHandle) Release(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: release lease %q: %w", h.where, h.name, err)
	}
	if err := h.ops.release(ctx, h); err != nil {
		return err
	}
	h.released = true
	h.expires = time.Time{}
	return nil
}

func (h *leaseHandle) lostError(op, why string) error {
	return fmt.Errorf("%s: %s lease %q of %q: %s: %w", h.where, op, h.name, h.holder, why, ErrLeaseLost)
}

func newHandle(ops leaseOps, where, name, holder string, rec leaseRecord, ttl time.Duration, version string) *leaseHandle {
	return &leaseHandle{
		ops: ops, where: where, name: name, holder: holder, token: rec.Token,
		acquired: rec.Acquired, ttl: ttl, version: version, expires: rec.Expires,
	}
}
