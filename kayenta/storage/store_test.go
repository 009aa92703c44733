package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawPutter writes an object behind the Store's back (no removal of the
// id's other objects), to build states such as two objects under one id.
type rawPutter interface {
	rawPut(t *testing.T, typ ObjectType, id, filename string, data []byte)
}

func (m *memoryStore) rawPut(t *testing.T, typ ObjectType, id, filename string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(typ, id, filename, data, false)
}

// testStore is the conformance suite every Store implementation passes.
// newStore returns an empty store, independent of the others it returned;
// the subtests run in parallel.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("PutGetDeleteList", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, typ := range ObjectTypes() {
			infos, err := s.List(ctx, typ)
			if err != nil || infos == nil || len(infos) != 0 {
				t.Fatalf("List(%s) of an empty store = %v, %v; want an empty non-nil slice", typ, infos, err)
			}
		}
		before := time.Now().Add(-2 * time.Second) // S3 LastModified has 1s resolution
		mustPut(t, s, MetricSetList, "id-2", "", `{"n":2}`)
		mustPut(t, s, MetricSetList, "id-1", "", `{"n":1}`)
		mustPut(t, s, MetricSetPairList, "id-1", "", `{"pairs":1}`)
		mustGet(t, s, MetricSetList, "id-1", `{"n":1}`)
		mustGet(t, s, MetricSetList, "id-2", `{"n":2}`)
		mustGet(t, s, MetricSetPairList, "id-1", `{"pairs":1}`)

		infos, err := s.List(ctx, MetricSetList)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 2 || infos[0].ID != "id-1" || infos[1].ID != "id-2" ||
			infos[0].Name != "metric_sets" || infos[1].Name != "metric_sets" {
			t.Fatalf("List = %+v; want id-1, id-2 named metric_sets", infos)
		}
		for _, in := range infos {
			if in.Updated.Before(before) || in.Updated.After(time.Now().Add(2*time.Second)) {
				t.Errorf("Updated of %s = %v, not about now", in.ID, in.Updated)
			}
		}

		// Overwrite in place.
		mustPut(t, s, MetricSetList, "id-1", "", `{"n":11}`)
		mustGet(t, s, MetricSetList, "id-1", `{"n":11}`)

		if err := s.Delete(ctx, MetricSetList, "id-1"); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, "Get after Delete", getErr(s, MetricSetList, "id-1"), "id-1")
		wantNotFound(t, "second Delete", s.Delete(ctx, MetricSetList, "id-1"), "id-1")
		mustGet(t, s, MetricSetPairList, "id-1", `{"pairs":1}`) // other type untouched
		infos, err = s.List(ctx, MetricSetList)
		if err != nil || len(infos) != 1 || infos[0].ID != "id-2" {
			t.Fatalf("List after Delete = %+v, %v", infos, err)
		}
	})

	t.Run("EveryTypeAndDefaultFilename", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, typ := range ObjectTypes() {
			mustPut(t, s, typ, "x", "", `{"type":"`+typ.Group()+`"}`)
		}
		for _, typ := range ObjectTypes() {
			mustGet(t, s, typ, "x", `{"type":"`+typ.Group()+`"}`)
			infos, err := s.List(ctx, typ)
			if err != nil || len(infos) != 1 || infos[0].Name != strings.TrimSuffix(typ.DefaultFilename(), ".json") {
				t.Fatalf("List(%s) = %+v, %v", typ, infos, err)
			}
		}
	})

	t.Run("ArchiveWithPipelineFilename", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		mustPut(t, s, CanaryResultArchive, "pipe-1", "pipe-1.json", `{"a":1}`)
		mustGet(t, s, CanaryResultArchive, "pipe-1", `{"a":1}`)
		infos, _ := s.List(ctx, CanaryResultArchive)
		if len(infos) != 1 || infos[0].Name != "pipe-1" {
			t.Fatalf("List = %+v", infos)
		}
	})

	t.Run("ConfigRenameDeletesOldKey", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		mustPut(t, s, CanaryConfig, "cfg-1", "old-name.json", `{"name":"old-name"}`)
		mustPut(t, s, CanaryConfig, "cfg-2", "other.json", `{"name":"other"}`)
		mustPut(t, s, CanaryConfig, "cfg-1", "new-name.json", `{"name":"new-name"}`)
		mustGet(t, s, CanaryConfig, "cfg-1", `{"name":"new-name"}`)
		infos, err := s.List(ctx, CanaryConfig)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(infoPairs(infos))
		if want := "[cfg-1/new-name cfg-2/other]"; got != want {
			t.Fatalf("List = %s; want %s (the old key must be gone)", got, want)
		}
	})

	t.Run("ExactlyOneObjectPerID", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		raw, ok := s.(rawPutter)
		if !ok {
			t.Fatalf("%T has no rawPut test hook", s)
		}
		raw.rawPut(t, CanaryConfig, "dup", "a.json", []byte(`{"name":"a"}`))
		raw.rawPut(t, CanaryConfig, "dup", "b.json", []byte(`{"name":"b"}`))
		err := getErr(s, CanaryConfig, "dup")
		if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get of an id with two objects: %v; want ErrAmbiguous and ErrNotFound", err)
		}
		for _, want := range []string{`"dup"`, "a.json", "b.json", "canary_config"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
		infos, _ := s.List(ctx, CanaryConfig)
		if got := fmt.Sprint(infoPairs(infos)); got != "[dup/a dup/b]" {
			t.Errorf("List = %s; want both objects", got)
		}
		// A Put leaves exactly one object again.
		mustPut(t, s, CanaryConfig, "dup", "c.json", `{"name":"c"}`)
		mustGet(t, s, CanaryConfig, "dup", `{"name":"c"}`)

		// Delete removes every object of an id.
		raw.rawPut(t, CanaryConfig, "dup", "d.json", []byte(`{}`))
		if err := s.Delete(ctx, CanaryConfig, "dup"); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, "Get after Delete", getErr(s, CanaryConfig, "dup"), "dup")
	})

	t.Run("IDPrefixIsNotAMatch", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		mustPut(t, s, MetricSetPairList, "abc", "", `{"id":"abc"}`)
		mustPut(t, s, MetricSetPairList, "abcd", "", `{"id":"abcd"}`)
		mustPut(t, s, MetricSetPairList, "abc-1", "", `{"id":"abc-1"}`)
		mustGet(t, s, MetricSetPairList, "abc", `{"id":"abc"}`)
		wantNotFound(t, "Get of a prefix of ids", getErr(s, MetricSetPairList, "ab"), "ab")
		if err := s.Delete(ctx, MetricSetPairList, "abc"); err != nil {
			t.Fatal(err)
		}
		mustGet(t, s, MetricSetPairList, "abcd", `{"id":"abcd"}`)
		mustGet(t, s, MetricSetPairList, "abc-1", `{"id":"abc-1"}`)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		wantNotFound(t, "Get", getErr(s, CanaryExecution, "nope-42"), "nope-42")
		wantNotFound(t, "Delete", s.Delete(ctx, StandaloneExecution, "nope-43"), "nope-43")
	})

	t.Run("InvalidIDs", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		bad := []string{"", ".", "..", "a/b", "../x", "/abs", "x/..", "a\x00b", `a\b`, "tab\there", "new\nline", "del\x7f",
			strings.Repeat("x", 256), "\xff\xfe"}
		for _, id := range bad {
			if err := s.Put(ctx, MetricSetList, id, "", []byte("{}")); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Put(id %q) = %v; want ErrInvalidID", id, err)
			}
			if _, err := s.Get(ctx, MetricSetList, id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Get(id %q) = %v; want ErrInvalidID", id, err)
			}
			if err := s.Delete(ctx, MetricSetList, id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Delete(id %q) = %v; want ErrInvalidID", id, err)
			}
			if _, err := s.AcquireLease(ctx, id, "h", time.Minute); !errors.Is(err, ErrInvalidID) {
				t.Errorf("AcquireLease(name %q) = %v; want ErrInvalidID", id, err)
			}
		}
		for _, fn := range []string{"../x.json", "a/b.json", "..", "x\x00.json"} {
			if err := s.Put(ctx, CanaryConfig, "ok", fn, []byte("{}")); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Put(filename %q) = %v; want ErrInvalidID", fn, err)
			}
		}
		for _, typ := range []ObjectType{0, 99, -1} {
			if err := s.Put(ctx, typ, "ok", "", []byte("{}")); err == nil || !strings.Contains(err.Error(), "invalid object type") {
				t.Errorf("Put(type %d) = %v", typ, err)
			}
			if _, err := s.List(ctx, typ); err == nil {
				t.Errorf("List(type %d) succeeded", typ)
			}
		}
		for _, typ := range ObjectTypes() {
			if infos, err := s.List(ctx, typ); err != nil || len(infos) != 0 {
				t.Fatalf("List(%s) after rejected writes = %+v, %v", typ, infos, err)
			}
		}
		// Unusual but valid ids work.
		for _, id := range []string{"...", "a..b", ".hidden", "with space", "ünïcødé", "UPPER_lower-1,2", strings.Repeat("y", 255)} {
			mustPut(t, s, MetricSetList, id, "", `{"id":1}`)
			mustGet(t, s, MetricSetList, id, `{"id":1}`)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		mustPut(t, s, MetricSetList, "c", "", `{}`)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		checks := map[string]error{
			"Put":    s.Put(cctx, MetricSetList, "c", "", []byte(`{}`)),
			"Delete": s.Delete(cctx, MetricSetList, "c"),
		}
		_, checks["Get"] = s.Get(cctx, MetricSetList, "c")
		_, checks["List"] = s.List(cctx, MetricSetList)
		_, checks["AcquireLease"] = s.AcquireLease(cctx, "c", "h", time.Minute)
		for op, err := range checks {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context = %v; want context.Canceled", op, err)
			}
		}
		mustGet(t, s, MetricSetList, "c", `{}`)
	})

	t.Run("ReturnedDataIsACopy", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		in := []byte(`{"k":"v"}`)
		if err := s.Put(ctx, MetricSetList, "copy", "", in); err != nil {
			t.Fatal(err)
		}
		in[2] = 'X'
		out := mustGet(t, s, MetricSetList, "copy", `{"k":"v"}`)
		out[2] = 'Y'
		mustGet(t, s, MetricSetList, "copy", `{"k":"v"}`)
	})

	t.Run("Lease", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		l, err := s.AcquireLease(ctx, "exec-1", "replica-a", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if l.Name() != "exec-1" || l.Holder() != "replica-a" || time.Until(l.Expires()) < 50*time.Second {
			t.Fatalf("lease = %s %s %v", l.Name(), l.Holder(), l.Expires())
		}
		_, err = s.AcquireLease(ctx, "exec-1", "replica-b", time.Minute)
		var held *LeaseHeldError
		if !errors.Is(err, ErrLeaseHeld) || !errors.As(err, &held) || held.Holder != "replica-a" || held.Name != "exec-1" {
			t.Fatalf("second AcquireLease = %v; want ErrLeaseHeld by replica-a", err)
		}
		if !strings.Contains(err.Error(), `"replica-a"`) {
			t.Errorf("error %q does not name the holder", err)
		}
		// The same holder cannot take it twice either.
		if _, err := s.AcquireLease(ctx, "exec-1", "replica-a", time.Minute); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("re-acquire by the holder = %v; want ErrLeaseHeld", err)
		}
		// Other leases are independent.
		l2, err := s.AcquireLease(ctx, "exec-2", "replica-b", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		exp := l.Expires()
		time.Sleep(5 * time.Millisecond)
		if err := l.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		if !l.Expires().After(exp) {
			t.Errorf("Renew did not move Expires: %v -> %v", exp, l.Expires())
		}
		if err := l.Renew(ctx); err != nil {
			t.Fatalf("second Renew: %v", err)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatalf("second Release: %v", err)
		}
		if err := l.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("Renew after Release = %v; want ErrLeaseLost", err)
		}
		lb, err := s.AcquireLease(ctx, "exec-1", "replica-b", time.Minute)
		if err != nil {
			t.Fatalf("AcquireLease after Release: %v", err)
		}
		for _, x := range []Lease{lb, l2} {
			if err := x.Release(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("LeaseExpiryTakeover", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const ttl = 600 * time.Millisecond
		old, err := s.AcquireLease(ctx, "exec-x", "replica-a", ttl)
		if err != nil {
			t.Fatal(err)
		}
		// Renewing keeps it: others fail for longer than one ttl.
		deadline := time.Now().Add(ttl * 6 / 5)
		for time.Now().Before(deadline) {
			before := time.Now()
			if _, err := s.AcquireLease(ctx, "exec-x", "replica-b", ttl); !errors.Is(err, ErrLeaseHeld) {
				if before.After(old.Expires()) {
					t.Fatalf("the machine stalled for a whole ttl (%s) between renewals: %v", ttl, err)
				}
				t.Fatalf("AcquireLease of a renewed lease = %v; want ErrLeaseHeld", err)
			}
			if err := old.Renew(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(ttl / 12)
		}
		time.Sleep(time.Until(old.Expires()) + 20*time.Millisecond)
		nl, err := s.AcquireLease(ctx, "exec-x", "replica-b", time.Minute)
		if err != nil {
			t.Fatalf("AcquireLease of an expired lease: %v", err)
		}
		if err := old.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("Renew after takeover = %v; want ErrLeaseLost", err)
		} else if !strings.Contains(err.Error(), "replica-b") {
			t.Errorf("error %q does not name the new holder", err)
		}
		if err := old.Release(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("Release after takeover = %v; want ErrLeaseLost", err)
		}
		// The new holder still has it.
		if _, err := s.AcquireLease(ctx, "exec-x", "replica-c", time.Minute); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("AcquireLease after the old holder's Release = %v; want ErrLeaseHeld", err)
		}
		if err := nl.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		if err := nl.Release(ctx); err != nil {
			t.Fatal(err)
		}
		// Released after expiry but not taken over: still ours to renew.
		l, err := s.AcquireLease(ctx, "exec-y", "replica-a", 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(80 * time.Millisecond)
		if err := l.Renew(ctx); err != nil {
			t.Fatalf("Renew of an expired lease nobody took: %v", err)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("LeaseArguments", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.AcquireLease(ctx, "n", "", time.Minute); err == nil {
			t.Error("empty holder accepted")
		}
		for _, ttl := range []time.Duration{0, -time.Second} {
			if _, err := s.AcquireLease(ctx, "n", "h", ttl); err == nil || !strings.Contains(err.Error(), "ttl") {
				t.Errorf("ttl %s: %v", ttl, err)
			}
		}
	})

	t.Run("LeaseRace", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for round := range 3 {
			name := fmt.Sprintf("race-%d", round)
			winners := raceLeases(t, 20, name, func(int) Store { return s })
			if len(winners) != 1 {
				t.Fatalf("round %d: %d winners %v; want exactly one", round, len(winners), winners)
			}
		}
		// Racing takeovers of an expired lease (replace, not create), with
		// the old holder renewing at the same time: exactly one succeeds.
		// A takeover after the renewed lease expired again would be
		// legitimate, so a race that outlasted the ttl (a very loaded
		// machine) proves nothing and is run again.
		const ttl = time.Second
		expiredRace := func(name string) (conclusive bool) {
			old, err := s.AcquireLease(ctx, name, "old-holder", ttl)
			if err != nil {
				t.Error(err)
				return true
			}
			time.Sleep(time.Until(old.Expires()) + 10*time.Millisecond)
			renewed := make(chan error, 1)
			winners := raceLeases(t, 20, name, func(i int) Store {
				if i == 10 {
					go func() { renewed <- old.Renew(ctx) }()
				}
				return s
			})
			rerr := <-renewed
			if rerr != nil && !errors.Is(rerr, ErrLeaseLost) {
				t.Errorf("%s: Renew: %v", name, rerr)
				return true
			}
			successes := len(winners)
			if rerr == nil {
				successes++
				if time.Now().After(old.Expires()) {
					t.Logf("%s: the race outlasted the ttl %s; running another", name, ttl)
					return false
				}
				if err := old.Release(ctx); err != nil {
					t.Error(err)
				}
			}
			if successes != 1 {
				t.Errorf("%s: takeovers %v and renew error %v: %d successes; want exactly one", name, winners, rerr, successes)
			}
			return true
		}
		var conclusive atomic.Int32
		for try := 0; conclusive.Load() < 2 && !t.Failed(); try++ {
			if try == 3 {
				t.Fatalf("only %d races finished within the ttl %s", conclusive.Load(), ttl)
			}
			var wg sync.WaitGroup
			for r := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if expiredRace(fmt.Sprintf("expired-%d-%d", try, r)) {
						conclusive.Add(1)
					}
				}()
			}
			wg.Wait()
		}
	})

	t.Run("ConcurrentObjects", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("c-%02d", i)
				want := fmt.Sprintf(`{"i":%d}`, i)
				for j := range 3 {
					// Renames as well as rewrites.
					if err := s.Put(ctx, CanaryConfig, id, fmt.Sprintf("name-%d.json", j), []byte(want)); err != nil {
						errs <- err
						return
					}
					got, err := s.Get(ctx, CanaryConfig, id)
					if err != nil {
						errs <- err
						return
					}
					if string(got) != want {
						errs <- fmt.Errorf("%s = %s, want %s", id, got, want)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		infos, err := s.List(ctx, CanaryConfig)
		if err != nil || len(infos) != 20 {
			t.Fatalf("List = %d objects, %v; want 20", len(infos), err)
		}
		for _, in := range infos {
			if in.Name != "name-2" {
				t.Errorf("%s has name %s; want name-2", in.ID, in.Name)
			}
		}
	})
}

// alternate is a storeFor of raceLeases over two instances: a for even i,
// b for odd.
func alternate(a, b Store) func(i int) Store {
	return func(i int) Store {
		if i%2 == 0 {
			return a
		}
		return b
	}
}

// raceLeases starts n goroutines that acquire the lease name at once, each
// as its own holder through storeFor(i); every loser must see ErrLeaseHeld.
// It returns the winners' holders and releases their leases.
func raceLeases(t *testing.T, n int, name string, storeFor func(i int) Store) []string {
	t.Helper()
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
		leases  []Lease
		start   = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			holder := fmt.Sprintf("holder-%02d", i)
			l, err := storeFor(i).AcquireLease(ctx, name, holder, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, holder)
				leases = append(leases, l)
			case !errors.Is(err, ErrLeaseHeld):
				t.Errorf("%s: AcquireLease: %v; want success or ErrLeaseHeld", holder, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, l := range leases {
		if err := l.Release(ctx); err != nil {
			t.Errorf("Release: %v", err)
		}
	}
	return winners
}

func mustPut(t *testing.T, s Store, typ ObjectType, id, filename, data string) {
	t.Helper()
	if err := s.Put(context.Background(), typ, id, filename, []byte(data)); err != nil {
		t.Fatalf("Put(%s, %q, %q): %v", typ, id, filename, err)
	}
}

func mustGet(t *testing.T, s Store, typ ObjectType, id, want string) []byte {
	t.Helper()
	got, err := s.Get(context.Background(), typ, id)
	if err != nil {
		t.Fatalf("Get(%s, %q): %v", typ, id, err)
	}
	if !bytes.Equal(got, []byte(want)) {
		t.Fatalf("Get(%s, %q) = %s; want %s", typ, id, got, want)
	}
	return got
}

func getErr(s Store, typ ObjectType, id string) error {
	_, err := s.Get(context.Background(), typ, id)
	return err
}

func wantNotFound(t *testing.T, what string, err error, id string) {
	t.Helper()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("%s: %v; want ErrNotFound", what, err)
	}
	if !strings.Contains(err.Error(), `"`+id+`"`) {
		t.Errorf("%s: error %q does not name the id %q", what, err, id)
	}
}

func infoPairs(infos []ObjectInfo) []string {
	out := make([]string, len(infos))
	for i, in := range infos {
		out[i] = in.ID + "/" + in.Name
	}
	return out
}

func TestMemory(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store { return NewMemory("mem-" + t.Name()) })
}

func TestMemoryErrorsNameTheStore(t *testing.T) {
	t.Parallel()
	s := NewMemory("my-account")
	err := s.Delete(context.Background(), CanaryConfig, "x")
	if err == nil || !strings.Contains(err.Error(), `memory store "my-account"`) {
		t.Fatalf("error %v does not name the store", err)
	}
}

func TestObjectTypes(t *testing.T) {
	t.Parallel()
	want := []struct{ group, file string }{
		{"canary_config", "canary_config.json"},
		{"canary_archive", "canary_archive.json"},
		{"metrics", "metric_sets.json"},
		{"metric_pairs", "metric_set_pairs.json"},
		{"standalone_canary_archive", "standalone_canary_archive.json"},
		{"canary_execution", "canary_execution.json"},
		{"standalone_execution", "standalone_execution.json"},
	}
	types := ObjectTypes()
	if len(types) != len(want) {
		t.Fatalf("%d types; want %d", len(types), len(want))
	}
	named := []ObjectType{CanaryConfig, CanaryResultArchive, MetricSetList, MetricSetPairList,
		StandaloneCanaryResultArchive, CanaryExecution, StandaloneExecution}
	for i, typ := range types {
		if typ != named[i] || typ.Group() != want[i].group || typ.DefaultFilename() != want[i].file || typ.String() != want[i].group {
			t.Errorf("type %d = %v %q %q; want %q %q", i, typ, typ.Group(), typ.DefaultFilename(), want[i].group, want[i].file)
		}
		if p, err := ParseObjectType(want[i].group); err != nil || p != typ {
			t.Errorf("ParseObjectType(%q) = %v, %v", want[i].group, p, err)
		}
	}
	if _, err := ParseObjectType("leases"); err == nil {
		t.Error("ParseObjectType(leases) succeeded")
	}
	var zero ObjectType
	if zero.Valid() || zero.Group() != "" || zero.String() != "ObjectType(0)" || ObjectType(8).Valid() {
		t.Error("invalid types look valid")
	}
}

func TestCleanKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{[]string{"kayenta", "canary_config", "id", "my-config.json"}, "kayenta/canary_config/id/my-config.json"},
		{[]string{"kayenta/", "metric_pairs", "id", "metric_set_pairs.json"}, "kayenta/metric_pairs/id/metric_set_pairs.json"},
		{[]string{"a//b/", "/metrics", "id"}, "a/b/metrics/id"},
		{[]string{"/", "metrics"}, "/metrics"},
	} {
		if got := cleanKey(c.parts...); got != c.want {
			t.Errorf("cleanKey(%q) = %q; want %q", c.parts, got, c.want)
		}
	}
}

func TestValidateID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"6f1c1e4e-0c5a-4d5b-9a53-3f5c7f3a2b10", "my-config", "a.b", "..."} {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v", id, err)
		}
	}
	for id, want := range map[string]string{
		"":      "empty id",
		"..":    "relative path element",
		"a/b":   `contains '/'`,
		"a\x00": "contains NUL",
	} {
		err := ValidateID(id)
		if !errors.Is(err, ErrInvalidID) || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateID(%q) = %v; want ErrInvalidID mentioning %q", id, err, want)
		}
	}
}
