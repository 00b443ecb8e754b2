package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/mockpay/mockpay/client/protocol"
)

// Due is when work scheduled on the clock falls due. Timers are closures,
// which a saved state cannot hold, so each row records the work it waits
// for and a restored server re-arms it from the row. Seq is Store.NextSeq
// when the work was scheduled: work due at the same instant is re-armed in
// the order it was first armed.
type Due struct {
	At  time.Time `json:",omitzero"`
	Seq uint64    `json:",omitzero"`
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

	// words interns the repeated strings of the rows decoded into the
	// snapshot (DecodeMember, Replayer), as PutOrder does in a store.
	words interner
}

// tableRows is one table and its rows in a Snapshot.
type tableRows struct {
	name   string
	read   func(tx ReadTxn) error
	decode func(dec *json.Decoder) error
	encode func(w io.Writer) error
	insert func(tx WriteTxn, t *memdb.TableSchema) error
	replay func() *replayTable
}

// tables pairs every table with its rows in snap, so that Snapshot and
// Restore cover the same tables; TestSnapshot_CoversEveryTable checks that
// none is missing.
func (snap *Snapshot) tables() []tableRows {
	// Every row that belongs to a merchant must name a registered one:
	// the domain reads the merchant of a row without checking.
	registered := make(map[string]bool, len(snap.Merchants))
	for _, m := range snap.Merchants {
		if m != nil {
			registered[m.MchID] = true
		}
	}
	owned := func(mchid string) error {
		if !registered[mchid] {
			return fmt.Errorf("merchant %q is not in the state", mchid)
		}
		return nil
	}
	return []tableRows{
		rowsOf(&snap.words, tableMerchants, &snap.Merchants, checkMerchant),
		rowsOf(&snap.words, tablePermissions, &snap.Permissions, func(p *Permission) error { return owned(p.MchID) }),
		rowsOf(&snap.words, tableOrders, &snap.Orders, func(o *Order) error { return cmp.Or(owned(o.MchID), checkOrder(o)) }),
		rowsOf(&snap.words, tableNotifications, &snap.Notifications, func(n *Notification) error { return owned(n.MchID) }),
		rowsOf(&snap.words, tableUsers, &snap.Users, nil),
		rowsOf(&snap.words, tableTransactions, &snap.Transactions, func(t *Transaction) error { return owned(t.MchID) }),
		rowsOf(&snap.words, tableRefunds, &snap.Refunds, func(r *Refund) error { return cmp.Or(owned(r.MchID), checkRefund(r)) }),
		rowsOf(&snap.words, tableApplications, &snap.Applications, func(a *Application) error { return owned(a.MchID) }),
		rowsOf(&snap.words, tablePlates, &snap.Plates, func(p *Plate) error { return owned(p.MchID) }),
		rowsOf(&snap.words, tableParkings, &snap.Parkings, func(p *Parking) error { return owned(p.MchID) }),
		rowsOf(&snap.words, tableParkingTransactions, &snap.ParkingTransactions, func(t *ParkingTransaction) error { return owned(t.MchID) }),
	}
}

func rowsOf[R comparable](words *interner, name string, rows *[]R, check func(R) error) tableRows {
	return tableRows{
		name:   name,
		replay: func() *replayTable { return replayRows(words, name, rows) },
		read: func(tx ReadTxn) error {
			rs, err := all[R](tx, name, "id_prefix")
			if rs == nil {
				rs = []R{} // [] rather than null in the file
			}
			*rows = rs
			return err
		},
		decode: func(dec *json.Decoder) error { return decodeRows(dec, words, name, rows) },
		encode: func(w io.Writer) error { return encodeRows(w, *rows) },
		insert: func(tx WriteTxn, t *memdb.TableSchema) error {
			uniqueKeys := newKeyCheck(t, len(*rows))
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
				if err := uniqueKeys(r); err != nil {
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

// DecodeMember decodes the snapshot's member key, the sequence counter or a
// table, from dec, positioned at its value; known is false for a key that
// is neither. A table is decoded row by row, so that a large state is
// never held whole as JSON; a row that does not decode is named by its
// table and index.
func (snap *Snapshot) DecodeMember(key string, dec *json.Decoder) (known bool, err error) {
	if key == "seq" {
		return true, dec.Decode(&snap.Seq)
	}
	for _, t := range snap.tables() {
		if t.name == key {
			return true, t.decode(dec)
		}
	}
	return false, nil
}

// EncodeMembers writes the snapshot's members, the sequence counter and
// every table, as the members of a JSON object without its braces, one row
// at a time: a state of 100,000 orders is never held whole as JSON.
// DecodeMember reads them back.
func (snap *Snapshot) EncodeMembers(w io.Writer) error {
	if _, err := fmt.Fprintf(w, `"seq":%d`, snap.Seq); err != nil {
		return err
	}
	for _, t := range snap.tables() {
		if _, err := fmt.Fprintf(w, `,%q:`, t.name); err != nil {
			return err
		}
		if err := t.encode(w); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}

// encodeRows writes a table's rows as a JSON array, one row at a time,
// each followed by a newline (a row a line, for people reading the file).
// The encoder writes each row straight to w, without a copy of its own.
func encodeRows[R any](w io.Writer, rows []R) error {
	if len(rows) == 0 {
		_, err := io.WriteString(w, "[]")
		return err
	}
	enc := json.NewEncoder(w)
	for i, r := range rows {
		sep := ","
		if i == 0 {
			sep = "["
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]")
	return err
}

// decodeRows decodes a table's array, or null for none, row by row,
// interning the repeated strings of the rows that have them.
func decodeRows[R comparable](dec *json.Decoder, words *interner, name string, rows *[]R) error {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return err
	case tok == nil:
		*rows = nil
		return nil
	case tok != json.Delim('['):
		return fmt.Errorf("%s: not an array", name)
	}
	*rows = nil // a repeated member replaces the earlier one
	for i := 0; dec.More(); i++ {
		var r R
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("%s[%d]: %w", name, i, err)
		}
		internRow(words, r)
		*rows = append(*rows, r)
	}
	_, err = dec.Token() // the closing ]
	return err
}

// newKeyCheck returns the check of a table's restored rows' keys: every
// part of a row's id is given, and no row before it has the same key in a
// unique index. memdb would silently replace a row with the same id, and
// point a secondary unique index at only one of two rows. rows is how many
// rows the table has, to size the keys seen.
func newKeyCheck(t *memdb.TableSchema, rows int) func(row any) error {
	// The id first, then the others in a fixed order, so that a row
	// breaking several is always refused for the same one.
	type unique struct {
		name    string
		indexer memdb.SingleIndexer
		seen    map[string]struct{}
	}
	var indexes []unique
	for _, name := range slices.Sorted(maps.Keys(t.Indexes)) {
		if idx := t.Indexes[name]; idx.Unique {
			u := unique{name, idx.Indexer.(memdb.SingleIndexer), make(map[string]struct{}, rows)}
			if name == "id" {
				indexes = slices.Insert(indexes, 0, u)
			} else {
				indexes = append(indexes, u)
			}
		}
	}
	optional, _ := t.Indexes["id"].Indexer.(interface{ mayBeEmpty(i int) bool })
	return func(row any) error {
		for _, idx := range indexes {
			ok, key, err := idx.indexer.FromObject(row)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if idx.name == "id" {
				// Parts end in NUL: an empty part is a NUL at the start or
				// after another.
				for i, p := 0, 0; p < len(key); i++ {
					n := bytes.IndexByte(key[p:], 0)
					if n == 0 && (optional == nil || !optional.mayBeEmpty(i)) {
						return fmt.Errorf("its key %q lacks a part", keyString(key))
					}
					if n < 0 {
						break
					}
					p += n + 1
				}
			}
			if _, dup := idx.seen[string(key)]; dup {
				return fmt.Errorf("another row has the same %s %q", idx.name, keyString(key))
			}
			idx.seen[string(key)] = struct{}{}
		}
		return nil
	}
}

// keyString is an index key as a person reads it: its parts joined by /.
func keyString(key []byte) string {
	return strings.Join(strings.Split(strings.TrimSuffix(string(key), "\x00"), "\x00"), "/")
}

// checkMerchant refuses a merchant without an appid or a service_id (the
// first of each is its default, which the API relies on), and keys that
// would fail only when first used: an APIv3 key that is not 32 bytes, a
// private key or a certificate that does not parse.
func checkMerchant(m *Merchant) error {
	switch {
	case len(m.AppIDs) == 0 || len(m.ServiceIDs) == 0:
		return fmt.Errorf("merchant %s has no appid or no service_id", m.MchID)
	case len(m.APIv3Key) != 32:
		return fmt.Errorf("merchant %s: its APIv3 key is %d bytes, not 32", m.MchID, len(m.APIv3Key))
	case m.RiskFundCap < 0:
		return fmt.Errorf("merchant %s: risk fund cap %d is negative", m.MchID, m.RiskFundCap)
	}
	if m.PrivateKeyPEM != "" {
		if _, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM)); err != nil {
			return fmt.Errorf("merchant %s: %w", m.MchID, err)
		}
	}
	if m.CertificatePEM != "" {
		if _, err := protocol.ParseCertificate([]byte(m.CertificatePEM)); err != nil {
			return fmt.Errorf("merchant %s: %w", m.MchID, err)
		}
	}
	return nil
}

// orderStates are the states each kind of order can be in.
var orderStates = map[Kind][]State{
	KindServiceOrder: {StateCreated, StateDoing, StateDone, StateRevoked, StateExpired},
	KindPayAfter:     {StateCreated, StateUserAccepted, StateFinished, StateUserPaid, StateRevoked, StateExpired},
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
	case !slices.Contains(orderStates[o.Kind], o.State):
		return fmt.Errorf("state %q is not a state of a %s", o.State, o.Kind)
	case o.TotalAmount < 0 || o.CompletedAmount < 0 || o.RiskFund.Amount < 0:
		return fmt.Errorf("a negative amount (total_amount %d, completed %d, risk fund %d)", o.TotalAmount, o.CompletedAmount, o.RiskFund.Amount)
	}
	for i, p := range o.PostPayments {
		if p.Amount != nil && *p.Amount < 0 {
			return fmt.Errorf("post_payments[%d]: a negative amount %d", i, *p.Amount)
		}
	}
	for i, d := range o.PostDiscounts {
		if d.Amount != nil && *d.Amount < 0 {
			return fmt.Errorf("post_discounts[%d]: a negative amount %d", i, *d.Amount)
		}
	}
	return nil
}

// checkRefund refuses negative amounts, and a refund larger than its charge.
func checkRefund(r *Refund) error {
	if r.Amount < 0 || r.Total < 0 || r.Amount > r.Total {
		return fmt.Errorf("refund %s: amount %d of a total %d", r.OutRefundNo, r.Amount, r.Total)
	}
	return nil
}

// numberRows gives the merchants and orders of a state saved before rows
// had a Seq (version 1 files from before listings paged) the numbers that
// order them newest first: an order the Seq of its first timeline entry,
// which was drawn when it was made; the rest new numbers after the
// snapshot's, in the order they were made.
func (snap *Snapshot) numberRows() {
	next := func() uint64 { snap.Seq++; return snap.Seq }
	byAge := slices.Clone(snap.Merchants)
	slices.SortStableFunc(byAge, func(a, b *Merchant) int {
		if a == nil || b == nil {
			return 0 // refused by Restore
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	seqs := map[*Merchant]uint64{}
	for _, m := range byAge {
		if m != nil && m.Seq == 0 {
			seqs[m] = next()
		}
	}
	// Rows are never changed in place: a snapshot may share them with a store.
	for i, m := range snap.Merchants {
		if seq, ok := seqs[m]; ok {
			c := m.Copy()
			c.Seq = seq
			snap.Merchants[i] = c
		}
	}
	for i, o := range snap.Orders {
		if o == nil || o.Seq != 0 {
			continue
		}
		c := o.Copy()
		if len(o.Events) > 0 && o.Events[0].Seq != 0 {
			c.Seq = o.Events[0].Seq
		} else {
			c.Seq = next()
		}
		snap.Orders[i] = c
	}
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
	snap.numberRows()
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
