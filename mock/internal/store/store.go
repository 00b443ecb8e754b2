// Package store keeps mockpay's state in hashicorp/go-memdb: one file per
// table, each with its schema, row type and typed queries.
//
// Rows are immutable once inserted: a change copies the row, edits the copy
// and inserts it again inside a write transaction. Work that must follow a
// change (a callback, a timer) is registered with WriteTxn.Defer, so that it
// runs only if the transaction commits.
package store

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
)

// ErrNotFound is returned by lookups that find no row.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when inserting a row whose unique key is taken.
var ErrExists = errors.New("already exists")

// Store is the in-memory database.
type Store struct {
	db    *memdb.MemDB
	seq   atomic.Uint64
	obs   observer // Observe
	words interner // PutOrder's
}

// NextSeq returns the next number of a sequence that orders everything the
// server records (timeline events, callback attempts, API calls), so that
// things that happen at the same domain instant keep the order they
// happened in.
func (s *Store) NextSeq() uint64 { return s.seq.Add(1) }

// Seq returns the last number NextSeq drew.
func (s *Store) Seq() uint64 { return s.seq.Load() }

// tableSchemas lists every table; each lives in its own file.
var tableSchemas = []func() *memdb.TableSchema{
	merchantsTable,
	permissionsTable,
	ordersTable,
	notificationsTable,
	usersTable,
	transactionsTable,
	refundsTable,
	applicationsTable,
	platesTable,
	parkingsTable,
	parkingTransactionsTable,
}

// sessionTables hold what a sandbox reset drops: everything but merchants.
var sessionTables = []string{tablePermissions, tableOrders, tableNotifications, tableUsers, tableTransactions, tableRefunds, tableApplications,
	tablePlates, tableParkings, tableParkingTransactions}

func schema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, f := range tableSchemas {
		t := f()
		if _, dup := s.Tables[t.Name]; dup {
			panic(fmt.Sprintf("store: table %q declared twice", t.Name))
		}
		s.Tables[t.Name] = t
	}
	return s
}

// New returns an empty store.
func New() *Store {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		panic(fmt.Sprintf("store: invalid schema: %v", err)) // a programming error, caught by every test
	}
	return &Store{db: db}
}

// ReadTxn is a consistent snapshot for reading.
type ReadTxn struct {
	tx *memdb.Txn
}

// WriteTxn changes the store atomically. Callers defer Abort and call Commit;
// Abort after Commit does nothing.
type WriteTxn struct {
	ReadTxn
	obs   *observer
	words *interner
}

// Read opens a read transaction.
func (s *Store) Read() ReadTxn { return ReadTxn{tx: s.db.Txn(false)} }

// Write opens the write transaction. memdb allows one writer at a time, so
// write transactions serialise every change: this is what makes concurrent
// calls on one order safe.
func (s *Store) Write() WriteTxn {
	tx := s.db.Txn(true)
	if len(s.obs.fs) != 0 {
		tx.TrackChanges()
	}
	return WriteTxn{ReadTxn{tx: tx}, &s.obs, &s.words}
}

// Commit makes the changes visible, hands them to the observer (Observe)
// and then runs the deferred work.
func (w WriteTxn) Commit() { w.obs.commit(w.tx) }

// Abort drops the changes, and the deferred work with them.
func (w WriteTxn) Abort() { w.tx.Abort() }

// Defer registers work to run after a successful Commit.
func (w WriteTxn) Defer(f func()) { w.tx.Defer(f) }

// first returns the row of table matching index=args as R, or ErrNotFound.
func first[R any](tx ReadTxn, table, index string, args ...any) (R, error) {
	var zero R
	raw, err := tx.tx.First(table, index, args...)
	if err != nil {
		return zero, fmt.Errorf("%s by %s: %w", table, index, err)
	}
	if raw == nil {
		return zero, ErrNotFound
	}
	return raw.(R), nil
}

// all returns every row of table matching index=args as R.
func all[R any](tx ReadTxn, table, index string, args ...any) ([]R, error) {
	it, err := tx.tx.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("%s by %s: %w", table, index, err)
	}
	var out []R
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(R))
	}
	return out, nil
}

// keyIndex indexes rows of type R by one or more string parts. Each part is
// terminated by a zero byte, so a prefix query over the leading parts (index
// name + "_prefix") selects exactly the rows with those whole parts: the
// orders of one merchant, say, never those of a merchant whose id extends it.
type keyIndex[R any] struct {
	parts int
	key   func(R) []string // nil: the row is not in this index
	// account marks a key that starts with an Account (Account.key), whose
	// SubMchID part is empty for a direct merchant's rows.
	account bool
}

// mayBeEmpty reports whether part i of a key may be empty.
func (x keyIndex[R]) mayBeEmpty(i int) bool { return x.account && i == accountPart }

func (x keyIndex[R]) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(R)
	if !ok {
		return false, nil, fmt.Errorf("keyIndex: row is %T", raw)
	}
	parts := x.key(r)
	if parts == nil {
		return false, nil, nil
	}
	if len(parts) != x.parts {
		return false, nil, fmt.Errorf("keyIndex: %d parts, want %d", len(parts), x.parts)
	}
	return true, encodeKey(parts), nil
}

func (x keyIndex[R]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != x.parts {
		return nil, fmt.Errorf("keyIndex: %d arguments, want %d", len(args), x.parts)
	}
	return encodeArgs(args)
}

func (x keyIndex[R]) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) > x.parts {
		return nil, fmt.Errorf("keyIndex: %d arguments, want at most %d", len(args), x.parts)
	}
	return encodeArgs(args)
}

func encodeArgs(args []any) ([]byte, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("keyIndex: argument %d is %T, want string", i, a)
		}
		parts[i] = s
	}
	return encodeKey(parts), nil
}

func encodeKey(parts []string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return b
}

// Reset drops orders, authorizations, users, plates, parking entries and
// notifications, keeping merchants.
func (tx WriteTxn) Reset() error {
	for _, t := range sessionTables {
		if _, err := tx.tx.DeleteAll(t, "id_prefix"); err != nil {
			return fmt.Errorf("reset %s: %w", t, err)
		}
	}
	return nil
}
