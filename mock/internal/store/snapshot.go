package store

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Due is when work scheduled on the clock falls due. Timers are closures,
// which a saved state cannot hold, so each row records the work it waits
// for and a restored server re-arms it from the row. Seq is Store.NextSeq
// when the work was scheduled: work due at the same instant is re-armed in
// the order it was first armed.
type Due struct {
	At  time.Time
	Seq uint64
}

// DueIn schedules work d after now.
func (s *Store) DueIn(now time.Time, d time.Duration) Due {
	return Due{At: now.Add(d), Seq: s.NextSeq()}
}

// Snapshot is the content of a store at one instant: every row of every
// table and the sequence counter. Its JSON form is what a state file holds;
// the rows are the store's own, which are never changed in place, so a
// snapshot may be encoded while the store moves on.
type Snapshot struct {
	Seq           uint64          `json:"seq"`
	Merchants     []*Merchant     `json:"merchants"`
	Permissions   []*Permission   `json:"permissions"`
	Orders        []*Order        `json:"orders"`
	Notifications []*Notification `json:"notifications"`
	Users         []*User         `json:"users"`
	Transactions  []*Transaction  `json:"transactions"`
	Refunds       []*Refund       `json:"refunds"`
	Applications  []*Application  `json:"applications"`
	// The parking tables: absent from a state saved before mockpay served
	// Pay Score parking, which restores with none.
	Plates              []*Plate              `json:"plates"`
	Parkings            []*Parking            `json:"parkings"`
	ParkingTransactions []*ParkingTransaction `json:"parking_transactions"`
}

// tableRows is one table and its rows in a Snapshot.
type tableRows struct {
	name   string
	read   func(tx ReadTxn) error
	insert func(tx WriteTxn, t *memdb.TableSchema) error
}

// tables pairs every table with its rows in snap, so that Snapshot and
// Restore cover the same tables; TestSnapshot_CoversEveryTable checks that
// none is missing.
func (snap *Snapshot) tables() []tableRows {
	return []tableRows{
		rowsOf(tableMerchants, &snap.Merchants, checkMerchant),
		rowsOf(tablePermissions, &snap.Permissions, nil),
		rowsOf(tableOrders, &snap.Orders, checkOrder),
		rowsOf(tableNotifications, &snap.Notifications, nil),
		rowsOf(tableUsers, &snap.Users, nil),
		rowsOf(tableTransactions, &snap.Transactions, nil),
		rowsOf(tableRefunds, &snap.Refunds, nil),
		rowsOf(tableApplications, &snap.Applications, nil),
		rowsOf(tablePlates, &snap.Plates, nil),
		rowsOf(tableParkings, &snap.Parkings, nil),
		rowsOf(tableParkingTransactions, &snap.ParkingTransactions, nil),
	}
}

func rowsOf[R comparable](name string, rows *[]R, check func(R) error) tableRows {
	return tableRows{
		name: name,
		read: func(tx ReadTxn) error {
			rs, err := all[R](tx, name, "id_prefix")
			if rs == nil {
				rs = []R{} // [] rather than null in the file
			}
			*rows = rs
			return err
		},
		insert: func(tx WriteTxn, t *memdb.TableSchema) error {
			seen := map[string]map[string]bool{}
			var null R
			for i, r := range *rows {
				if r == null {
					return fmt.Errorf("%s[%d]: null", name, i)
				}
				if check != nil {
					if err := check(r); err != nil {
						return fmt.Errorf("%s[%d]: %w", name, i, err)
					}
				}
				if err := uniqueKeys(t, r, seen); err != nil {
					return fmt.Errorf("%s[%d]: %w", name, i, err)
				}
				if err := tx.tx.Insert(name, r); err != nil {
					return fmt.Errorf("%s[%d]: %w", name, i, err)
				}
			}
			return nil
		},
	}
}

// uniqueKeys checks a restored row's keys: every part of its id is given,
// and no row before it has the same key in a unique index. memdb would
// silently replace a row with the same id, and point a secondary unique
// index at only one of two rows.
func uniqueKeys(t *memdb.TableSchema, row any, seen map[string]map[string]bool) error {
	// The id first, then the others in a fixed order, so that a row
	// breaking several is always refused for the same one.
	names := slices.SortedFunc(maps.Keys(t.Indexes), func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "id":
			return -1
		case b == "id":
			return 1
		}
		return cmp.Compare(a, b)
	})
	for _, name := range names {
		idx := t.Indexes[name]
		if !idx.Unique {
			continue
		}
		ok, key, err := idx.Indexer.(memdb.SingleIndexer).FromObject(row)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(string(key), "\x00"), "\x00")
		if name == "id" {
			optional, _ := idx.Indexer.(interface{ mayBeEmpty(i int) bool })
			for i, p := range parts {
				if p == "" && (optional == nil || !optional.mayBeEmpty(i)) {
					return fmt.Errorf("its key %q lacks a part", strings.Join(parts, "/"))
				}
			}
		}
		if seen[name] == nil {
			seen[name] = map[string]bool{}
		}
		if seen[name][string(key)] {
			return fmt.Errorf("another row has the same %s %q", name, strings.Join(parts, "/"))
		}
		seen[name][string(key)] = true
	}
	return nil
}

// checkMerchant refuses a merchant without an appid or a service_id: the
// first of each is its default, which the API relies on.
func checkMerchant(m *Merchant) error {
	if len(m.AppIDs) == 0 || len(m.ServiceIDs) == 0 {
		return fmt.Errorf("merchant %s has no appid or no service_id", m.MchID)
	}
	return nil
}

// checkOrder refuses an order whose parts do not fit its kind, which the
// domain relies on without checking.
func checkOrder(o *Order) error {
	switch {
	case o.Kind != KindServiceOrder && o.Kind != KindPayAfter:
		return fmt.Errorf("kind %q is not %s or %s", o.Kind, KindServiceOrder, KindPayAfter)
	case o.Kind == KindPayAfter && o.PayAfter == nil:
		return fmt.Errorf("a %s without its PayAfter part", o.Kind)
	case o.Kind == KindServiceOrder && o.PayAfter != nil:
		return fmt.Errorf("a %s with a PayAfter part", o.Kind)
	}
	return nil
}

// Snapshot copies the store's content in one read transaction, so that its
// rows are consistent with one another.
func (s *Store) Snapshot() (*Snapshot, error) {
	tx := s.Read()
	snap := &Snapshot{}
	for _, t := range snap.tables() {
		if err := t.read(tx); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", t.name, err)
		}
	}
	// Every sequence number in the rows was drawn before their transaction
	// committed, so before tx began: the counter read now is at least each.
	snap.Seq = s.seq.Load()
	return snap, nil
}

// Restore fills an empty store with a snapshot in one write transaction.
// It refuses a null row, a row without its key and a key two rows share,
// leaving the store empty. The sequence continues from the snapshot's.
func (s *Store) Restore(snap *Snapshot) error {
	tx := s.Write()
	defer tx.Abort()
	schema := s.db.DBSchema()
	for _, t := range snap.tables() {
		if raw, err := tx.tx.First(t.name, "id_prefix"); err != nil || raw != nil {
			return fmt.Errorf("restore: table %s is not empty", t.name)
		}
		if err := t.insert(tx, schema.Tables[t.name]); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	tx.Commit()
	s.seq.Store(snap.Seq)
	return nil
}
