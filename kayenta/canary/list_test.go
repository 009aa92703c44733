package canary

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ctlproject/ctl/kayenta/config"
	"github.com/ctlproject/ctl/kayenta/storage"
)

// countingStore counts the execution objects read.
type countingStore struct {
	storage.Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, t storage.ObjectType, id string) ([]byte, error) {
	if t == storage.CanaryExecution {
		c.gets.Add(1)
	}
	return c.Store.Get(ctx, t, id)
}

// TestListPagesByBuildTime: GET /canary/executions pages by build time,
// newest first, however recently an old execution was written; complete
// executions are read once, running ones on every call.
func TestListPagesByBuildTime(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: storage.NewMemory("mem")}
	svc := New(Options{Accounts: &Accounts{Stores: []StoreAccount{
		{Name: "mem", Types: []config.SupportedType{config.ObjectStore, config.ConfigurationStore}, Store: store}}}})
	defer svc.Close()
	put := func(id string, build int64, app, status string) {
		b, _ := json.Marshal(&Execution{PipelineID: id, BuildTimeMillis: build, Application: app, Status: status, Complete: Complete(status)})
		if err := store.Put(ctx, storage.CanaryExecution, id, "", b); err != nil {
			t.Fatal(err)
		}
	}
	put("a", 1000, "app", StatusSucceeded)
	put("b", 2000, "app", StatusTerminal)
	put("c", 3000, "app", StatusRunning)
	put("x", 2500, "other", StatusSucceeded)
	put("a", 1000, "app", StatusSucceeded) // the oldest is written last
	page := func(f ListFilter) string {
		t.Helper()
		f.Application = "app"
		out, err := svc.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ex := range out {
			ids = append(ids, ex.PipelineID)
		}
		return fmt.Sprint(ids)
	}
	for p, want := range []string{"[c]", "[b]", "[a]", "[]"} {
		if got := page(ListFilter{Limit: 1, Page: p + 1}); got != want {
			t.Errorf("page %d of 1: %s, want %s", p+1, got, want)
		}
	}
	if got := page(ListFilter{Limit: 2, Page: 1}); got != "[c b]" {
		t.Errorf("page 1 of 2: %s", got)
	}

	// Once seen complete, an execution is not read again to be listed: a
	// call reads the running one, then the page.
	store.gets.Store(0)
	if got := page(ListFilter{Limit: 1, Page: 3}); got != "[a]" {
		t.Errorf("page 3: %s", got)
	}
	if n := store.gets.Load(); n != 2 {
		t.Errorf("a listing read %d executions, want 2 (the running one and the page's)", n)
	}

	// A running execution's status is never taken from memory.
	if got := page(ListFilter{Limit: 10, Statuses: []string{StatusSucceeded}}); got != "[a]" {
		t.Errorf("succeeded: %s", got)
	}
	put("c", 3000, "app", StatusSucceeded)
	if got := page(ListFilter{Limit: 10, Statuses: []string{StatusSucceeded}}); got != "[c a]" {
		t.Errorf("succeeded after c completed: %s", got)
	}
	// A deleted execution is gone from the list.
	if err := store.Delete(ctx, storage.CanaryExecution, "b"); err != nil {
		t.Fatal(err)
	}
	if got := page(ListFilter{Limit: 10}); got != "[c a]" {
		t.Errorf("after deleting b: %s", got)
	}
}
