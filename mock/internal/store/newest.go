package store

import (
	"encoding/binary"
	"fmt"
	"iter"
)

// seqIndex indexes rows of type R by a sequence number (Store.NextSeq)
// drawn when the row was first made, big-endian so that the index's order
// is the order rows were made in: listings walk it backwards, newest first,
// and page by it (mock/paging.go).
type seqIndex[R any] struct {
	seq func(R) uint64
}

func (x seqIndex[R]) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(R)
	if !ok {
		return false, nil, fmt.Errorf("seqIndex: row is %T", raw)
	}
	return true, binary.BigEndian.AppendUint64(nil, x.seq(r)), nil
}

func (x seqIndex[R]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("seqIndex: %d arguments, want 1", len(args))
	}
	n, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("seqIndex: argument is %T, want uint64", args[0])
	}
	return binary.BigEndian.AppendUint64(nil, n), nil
}

// newest yields the rows of table whose seq index is below before (0: all),
// newest first, with their seq. It reads one row at a time, so a listing of
// a large table holds only the page it builds.
func newest[R any](tx ReadTxn, table string, before uint64, seq func(R) uint64) iter.Seq2[uint64, R] {
	return func(yield func(uint64, R) bool) {
		if before == 1 {
			return
		}
		from := before - 1 // wraps to the largest for 0: everything
		it, err := tx.tx.ReverseLowerBound(table, "seq", from)
		if err != nil {
			panic(fmt.Sprintf("store: %s by seq: %v", table, err)) // the schema has the index
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			r := raw.(R)
			if !yield(seq(r), r) {
				return
			}
		}
	}
}

// OrdersNewestFirst yields every order made before the one with seq before
// (0: every order), newest first.
func (tx ReadTxn) OrdersNewestFirst(before uint64) iter.Seq2[uint64, *Order] {
	return newest(tx, tableOrders, before, func(o *Order) uint64 { return o.Seq })
}

// NotificationsNewestFirst yields every notification made before the one
// with seq before (0: every one), newest first.
func (tx ReadTxn) NotificationsNewestFirst(before uint64) iter.Seq2[uint64, *Notification] {
	return newest(tx, tableNotifications, before, func(n *Notification) uint64 { return n.Seq })
}
