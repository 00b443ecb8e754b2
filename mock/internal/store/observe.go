package store

import (
	"sync"

	"github.com/hashicorp/go-memdb"
)

// Change is one row that a committed write transaction inserted, replaced
// or deleted: Before is nil for an insert, After is nil for a delete. Both
// are the table's row pointers (*Order, *Notification, ...), immutable like
// every row.
type Change struct {
	Table         string
	Before, After any
}

// observer hands the changes of every commit to its functions, in the
// order they were given to Observe.
type observer struct {
	fs []func([]Change)
	// mu is held from a commit, while memdb's writer lock is still held,
	// until its changes have been handed over, so that the next commit's
	// changes always come after them.
	mu sync.Mutex
}

// Observe makes f receive the changes of every write transaction that
// commits from now on: once each, in commit order, after the changes are
// visible to readers and before the work the transaction deferred runs.
// This is how mockpay sees every change, whatever made it (an API call, the
// sandbox, a timer on the clock). f runs on the committing goroutine and
// holds the next commit back until it returns, so it must be quick and must
// never write to the store. Call Observe before the store is shared; each
// call adds f after the functions already observing.
func (s *Store) Observe(f func([]Change)) { s.obs.fs = append(s.obs.fs, f) }

// commit commits tx and hands its changes to the observer.
func (o *observer) commit(tx *memdb.Txn) {
	if len(o.fs) == 0 {
		tx.Commit()
		return
	}
	tracked := tx.Changes()
	if len(tracked) == 0 {
		tx.Commit()
		return
	}
	changes := make([]Change, len(tracked))
	for i, c := range tracked {
		changes[i] = Change{Table: c.Table, Before: c.Before, After: c.After}
	}
	o.mu.Lock()
	// memdb runs deferred work last registered first, once it has released
	// its writer lock: registered last, this runs before the transaction's
	// own deferred work, none of which can commit ahead of it.
	tx.Defer(func() {
		defer o.mu.Unlock()
		for _, f := range o.fs {
			f(changes)
		}
	})
	tx.Commit()
}
