package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// ObjectType is a group of stored objects: Kayenta's ObjectType plus the
// live execution state ctl keeps in the object store instead of Redis.
type ObjectType int

// The object types. The zero value is not a valid type.
const (
	CanaryConfig ObjectType = iota + 1
	CanaryResultArchive
	MetricSetList
	MetricSetPairList
	StandaloneCanaryResultArchive
	// CanaryExecution is the live state of a canary execution (ctl only).
	CanaryExecution
	// StandaloneExecution is the live state of a standalone canary analysis
	// execution (ctl only).
	StandaloneExecution
)

var objectTypes = [...]struct{ group, filename string }{
	CanaryConfig:                  {"canary_config", "canary_config.json"},
	CanaryResultArchive:           {"canary_archive", "canary_archive.json"},
	MetricSetList:                 {"metrics", "metric_sets.json"},
	MetricSetPairList:             {"metric_pairs", "metric_set_pairs.json"},
	StandaloneCanaryResultArchive: {"standalone_canary_archive", "standalone_canary_archive.json"},
	CanaryExecution:               {"canary_execution", "canary_execution.json"},
	StandaloneExecution:           {"standalone_execution", "standalone_execution.json"},
}

// ObjectTypes returns every object type, in declaration order.
func ObjectTypes() []ObjectType {
	ts := make([]ObjectType, 0, len(objectTypes)-1)
	for t := CanaryConfig; int(t) < len(objectTypes); t++ {
		ts = append(ts, t)
	}
	return ts
}

// Valid reports whether t is one of the declared object types.
func (t ObjectType) Valid() bool { return t > 0 && int(t) < len(objectTypes) }

// Group is the folder of the type under the root folder, e.g. "canary_config".
func (t ObjectType) Group() string {
	if !t.Valid() {
		return ""
	}
	return objectTypes[t].group
}

// DefaultFilename is the filename Put uses when given none, e.g.
// "metric_set_pairs.json". Canary configs are stored as "<config name>.json"
// by their callers; Kayenta's default for them is "canary_config.json".
func (t ObjectType) DefaultFilename() string {
	if !t.Valid() {
		return ""
	}
	return objectTypes[t].filename
}

// String returns the group, or ObjectType(n) for an invalid type.
func (t ObjectType) String() string {
	if !t.Valid() {
		return fmt.Sprintf("ObjectType(%d)", int(t))
	}
	return objectTypes[t].group
}

// ParseObjectType returns the type whose group is group.
func ParseObjectType(group string) (ObjectType, error) {
	for _, t := range ObjectTypes() {
		if t.Group() == group {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown object type %q", group)
}

// ObjectInfo describes one stored object, as Kayenta's listObjectKeys does.
type ObjectInfo struct {
	// ID is the object key: the path segment after the group.
	ID string
	// Name is the filename minus ".json" (for a canary config, its name).
	Name string
	// Updated is when the object was last written (S3 LastModified, the
	// file's modification time).
	Updated time.Time
}

// Store is an object store of the analysis service: an account of type
// OBJECT_STORE / CONFIGURATION_STORE in Kayenta's terms. Values are JSON
// documents the callers marshal. All methods are safe for concurrent use and
// bounded by ctx.
//
// Every object lives at <group>/<id>/<filename> (under the root folder for
// S3, under the directory for the local store); an id holds exactly one
// object.
type Store interface {
	// Put stores data as the object id of type t under filename ("" means
	// t.DefaultFilename()). It then removes any other object under the same
	// id, so a renamed canary config leaves no stale key behind and the id
	// keeps exactly one object.
	Put(ctx context.Context, t ObjectType, id, filename string, data []byte) error
	// Get returns the only object stored under id. It fails with an error
	// wrapping ErrNotFound when there is none, and with one wrapping both
	// ErrNotFound and ErrAmbiguous when there are several.
	Get(ctx context.Context, t ObjectType, id string) ([]byte, error)
	// Delete removes every object under id; ErrNotFound when there is none.
	Delete(ctx context.Context, t ObjectType, id string) error
	// List returns every object of type t, sorted by ID then Name.
	List(ctx context.Context, t ObjectType) ([]ObjectInfo, error)
	// AcquireLease takes the named lease for holder for ttl. It fails with
	// an error wrapping ErrLeaseHeld (a *LeaseHeldError) while another
	// acquisition of the lease is live, even one by the same holder. An
	// expired lease is taken over. Leases are exclusive between every
	// Store instance that shares the same memory store, directory, or
	// bucket and root folder.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error)
}

// Lease is an acquired lease. The holder owns it until Expires unless it
// renews it; a holder must stop the leased work when Renew fails.
type Lease interface {
	// Name is the lease's name.
	Name() string
	// Holder is who acquired it.
	Holder() string
	// Expires is when the lease ends unless renewed, by the local clock,
	// counted from before the last successful write.
	Expires() time.Time
	// Renew extends the lease by its ttl from now. It fails with an error
	// wrapping ErrLeaseLost when the lease was taken over (after it
	// expired) or released.
	Renew(ctx context.Context) error
	// Release gives the lease up. It fails with ErrLeaseLost when another
	// holder has taken it over; releasing a lease whose record is already
	// gone succeeds.
	Release(ctx context.Context) error
}

var (
	// ErrNotFound means no object (or not exactly one) is stored under an id.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous means several objects are stored under one id; errors
	// that wrap it also wrap ErrNotFound, as Kayenta answers 404 then.
	ErrAmbiguous = errors.New("more than one object")
	// ErrInvalidID means an id, filename or lease name is not a safe single
	// path component.
	ErrInvalidID = errors.New("invalid id")
	// ErrLeaseHeld means another live holder has the lease.
	ErrLeaseHeld = errors.New("lease held by another holder")
	// ErrLeaseLost means the lease was taken over or released.
	ErrLeaseLost = errors.New("lease lost")
)

// LeaseHeldError is returned by AcquireLease when the lease is live.
type LeaseHeldError struct {
	Name    string
	Holder  string    // the current holder
	Expires time.Time // when its lease ends unless renewed
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("lease %q is held by %q until %s", e.Name, e.Holder, e.Expires.UTC().Format(time.RFC3339Nano))
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// maxIDLen keeps every id a valid filename on common filesystems.
const maxIDLen = 255

// ValidateID checks that id can be used as an object id (and so as one path
// component of a key or file path): not empty, not "." or "..", at most 255
// bytes of valid UTF-8, without '/', '\' or control characters (NUL
// included). Every Store method validates ids itself; HTTP handlers can call
// it to answer 400 early. Errors wrap ErrInvalidID.
func ValidateID(id string) error { return validateComponent("id", id) }

func validateComponent(what, s string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s %q %s", ErrInvalidID, what, s, why) }
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidID, what)
	case s == "." || s == "..":
		return bad("is a relative path element")
	case len(s) > maxIDLen:
		return fmt.Errorf("%w: %s of %d bytes is longer than %d", ErrInvalidID, what, len(s), maxIDLen)
	case !utf8.ValidString(s):
		return bad("is not valid UTF-8")
	}
	for _, r := range s {
		switch {
		case r == 0:
			return bad("contains NUL")
		case r == '/' || r == '\\':
			return bad(fmt.Sprintf("contains %q", r))
		case r < 0x20 || r == 0x7f:
			return bad(fmt.Sprintf("contains control character %U", r))
		}
	}
	return nil
}

// checkObject validates t and id.
func checkObject(t ObjectType, id string) error {
	if !t.Valid() {
		return fmt.Errorf("invalid object type %d", int(t))
	}
	return ValidateID(id)
}

func resolveFilename(t ObjectType, filename string) (string, error) {
	if filename == "" {
		filename = t.DefaultFilename()
	}
	if err := validateComponent("filename", filename); err != nil {
		return "", err
	}
	return filename, nil
}

// nameOf returns the filename minus ".json", as Kayenta's list does.
func nameOf(filename string) string { return strings.TrimSuffix(filename, ".json") }

// cleanKey joins parts with '/' and collapses "//", as Kayenta's
// S3StorageService builds keys.
func cleanKey(parts ...string) string {
	k := strings.Join(parts, "/")
	for strings.Contains(k, "//") {
		k = strings.ReplaceAll(k, "//", "/")
	}
	return k
}

func sortInfos(infos []ObjectInfo) {
	sort.Slice(infos, func(i, j int) bool {
		if infos[i].ID != infos[j].ID {
			return infos[i].ID < infos[j].ID
		}
		return infos[i].Name < infos[j].Name
	})
}

// notFound and ambiguous build the errors Get and Delete return.
func notFound(where string, t ObjectType, id string) error {
	return fmt.Errorf("%s: %s %q: %w", where, t, id, ErrNotFound)
}

func ambiguous(where string, t ObjectType, id string, names []string) error {
	return fmt.Errorf("%s: %s %q holds %d objects (%s), want exactly one: %w: %w",
		where, t, id, len(names), strings.Join(names, ", "), ErrAmbiguous, ErrNotFound)
}

func checkLease(name, holder string, ttl time.Duration) error {
	if err := validateComponent("lease name", name); err != nil {
		return err
	}
	if holder == "" {
		return errors.New("empty lease holder")
	}
	if ttl <= 0 {
		return fmt.Errorf("lease %q: ttl %s is not positive", name, ttl)
	}
	return nil
}
