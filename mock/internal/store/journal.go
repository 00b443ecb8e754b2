package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// JournalChange is one changed row of a commit as a journal holds it: the
// row's after-image (Row) for an insert or a replacement, or the key of the
// row that was deleted (Key, the row's id index key).
type JournalChange struct {
	Table string          `json:"table"`
	Row   json.RawMessage `json:"row,omitempty"`
	Key   *string         `json:"key,omitempty"`
}

// dbSchema is the schema the journal computes row keys with.
var dbSchema = sync.OnceValue(schema)

// idKey is the id index key of a row of table.
func idKey(table string, row any) (string, error) {
	t, ok := dbSchema().Tables[table]
	if !ok {
		return "", fmt.Errorf("no table %q", table)
	}
	ok, key, err := t.Indexes["id"].Indexer.(memdb.SingleIndexer).FromObject(row)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("the row has no id")
	}
	return string(key), nil
}

// JournalChanges encodes the changes of one commit for a journal.
func JournalChanges(changes []Change) ([]JournalChange, error) {
	out := make([]JournalChange, 0, len(changes))
	for _, c := range changes {
		if c.After == nil {
			key, err := idKey(c.Table, c.Before)
			if err != nil {
				return nil, fmt.Errorf("journal %s: %w", c.Table, err)
			}
			out = append(out, JournalChange{Table: c.Table, Key: &key})
			continue
		}
		row, err := json.Marshal(c.After)
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", c.Table, err)
		}
		out = append(out, JournalChange{Table: c.Table, Row: row})
	}
	return out, nil
}

// replayTable applies a journal's changes to one table of a Snapshot.
type replayTable struct {
	decode func(dec *json.Decoder) (row any, err error)
	put    func(row any) error
	del    func(key string)
	done   func()
}

// Replayer applies journal records, in order, to a snapshot: an after-image
// replaces the row with the same key or is added, a deletion removes the
// row. Applying a record the snapshot already holds changes nothing, so a
// journal may begin before its snapshot was taken. Call Done after the last
// record; Restore then checks every row as it checks a snapshot's.
type Replayer struct {
	snap   *Snapshot
	tables map[string]*replayTable
}

// Replayer returns a Replayer onto snap.
func (snap *Snapshot) Replayer() *Replayer {
	r := &Replayer{snap: snap, tables: map[string]*replayTable{}}
	for _, t := range snap.tables() {
		r.tables[t.name] = t.replay()
	}
	return r
}

// ReplayChange is one change of a journal record, its row decoded into
// its table's type (DecodeChanges).
type ReplayChange struct {
	table *replayTable
	name  string
	row   any     // the after-image; nil for a deletion
	key   *string // the deleted row's id key
}

// DecodeChanges decodes a record's changes from dec, positioned at their
// array: each row straight into its table's type, as the record is read,
// rather than kept as JSON and decoded again.
func (r *Replayer) DecodeChanges(dec *json.Decoder) ([]ReplayChange, error) {
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('[') {
		return nil, errors.New("changes: not an array")
	}
	var out []ReplayChange
	for i := 0; dec.More(); i++ {
		c, err := r.decodeChange(dec)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", i, err)
		}
		out = append(out, c)
	}
	_, err := dec.Token() // the closing ]
	return out, err
}

// decodeChange decodes one JournalChange: its table, then its row or key.
func (r *Replayer) decodeChange(dec *json.Decoder) (ReplayChange, error) {
	var c ReplayChange
	err := DecodeObject(dec, func(key string) (err error) {
		switch key {
		case "table":
			if err := dec.Decode(&c.name); err != nil {
				return err
			}
			if c.table = r.tables[c.name]; c.table == nil {
				return fmt.Errorf("no table %q", c.name)
			}
			return nil
		case "row":
			if c.table == nil {
				return errors.New("a row before its table") // JournalChanges writes the table first
			}
			if c.row, err = c.table.decode(dec); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			return nil
		case "key":
			return dec.Decode(&c.key)
		}
		return fmt.Errorf("json: unknown field %q", key)
	})
	switch {
	case err != nil:
		return c, err
	case c.table == nil:
		return c, errors.New("no table")
	case (c.row == nil) == (c.key == nil):
		return c, fmt.Errorf("%s: neither a row nor a deletion", c.name)
	}
	return c, nil
}

// Apply applies the changes of one commit, whose store sequence counter
// was seq after it committed.
func (r *Replayer) Apply(seq uint64, changes []ReplayChange) error {
	for i, c := range changes {
		if c.key != nil {
			c.table.del(*c.key)
			continue
		}
		if err := c.table.put(c.row); err != nil {
			return fmt.Errorf("change %d: %s: %w", i, c.name, err)
		}
	}
	r.snap.Seq = max(r.snap.Seq, seq)
	return nil
}

// Done removes the deleted rows from the snapshot.
func (r *Replayer) Done() {
	for _, t := range r.tables {
		t.done()
	}
}

// replayRows is rowsOf's replayTable for a table of rows R.
func replayRows[R comparable](words *interner, name string, rows *[]R) *replayTable {
	at := map[string]int{}
	for i, row := range *rows {
		if key, err := idKey(name, row); err == nil {
			at[key] = i // a row without a key or a repeated one is refused by Restore
		}
	}
	gone := map[int]bool{}
	return &replayTable{
		decode: func(dec *json.Decoder) (any, error) {
			var row R
			if err := dec.Decode(&row); err != nil {
				return nil, err
			}
			var null R
			if row == null {
				return nil, errors.New("null row")
			}
			internRow(words, row)
			return row, nil
		},
		put: func(raw any) error {
			row := raw.(R)
			key, err := idKey(name, row)
			if err != nil {
				return err
			}
			if i, ok := at[key]; ok {
				(*rows)[i] = row
				return nil
			}
			at[key] = len(*rows)
			*rows = append(*rows, row)
			return nil
		},
		del: func(key string) {
			if i, ok := at[key]; ok {
				gone[i] = true
				delete(at, key)
			}
		},
		done: func() {
			if len(gone) == 0 {
				return
			}
			kept := make([]R, 0, len(*rows)-len(gone))
			for i, row := range *rows {
				if !gone[i] {
					kept = append(kept, row)
				}
			}
			*rows = kept
			clear(gone)
		},
	}
}
