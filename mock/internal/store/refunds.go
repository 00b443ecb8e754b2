package store

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tableRefunds = "refunds"

// Refund states (status).
const (
	RefundProcessing = "PROCESSING"
	RefundSuccess    = "SUCCESS"
	RefundAbnormal   = "ABNORMAL"
	RefundClosed     = "CLOSED"
)

// Refund is a refund of a Pay Score charge.
type Refund struct {
	MchID         string    `json:",omitzero"`
	SubMchID      string    `json:",omitzero"` // the sub-merchant of a partner order's charge
	OutRefundNo   string    `json:",omitzero"`
	RefundID      string    `json:",omitzero"`
	TransactionID string    `json:",omitzero"`
	OutTradeNo    string    `json:",omitzero"`
	Reason        string    `json:",omitzero"`
	NotifyURL     string    `json:",omitzero"`
	FundsAccount  string    `json:",omitzero"`
	Status        string    `json:",omitzero"`
	Total         int64     `json:",omitzero"` // the charge's amount
	Amount        int64     `json:",omitzero"` // refunded by this refund
	Digest        Digest    `json:",omitzero"`
	CreatedAt     time.Time `json:",omitzero"`
	SuccessAt     time.Time `json:",omitzero"`
	// Due is when a PROCESSING refund ends. It is recorded rather than
	// derived from CreatedAt so that a restored refund ends when it was
	// going to, whatever refund delay the restored server has.
	Due Due `json:",omitzero"`
}

// Copy returns a copy to change and insert again.
func (r *Refund) Copy() *Refund {
	c := *r
	return &c
}

func refundsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableRefunds,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Refund]{parts: 3, account: true, key: func(r *Refund) []string {
				return r.Account().key(r.OutRefundNo)
			}}},
			"transaction": {Name: "transaction", Indexer: keyIndex[*Refund]{parts: 3, account: true, key: func(r *Refund) []string {
				return r.Account().key(r.TransactionID)
			}}},
		},
	}
}

// Refund returns an account's refund by out_refund_no, or ErrNotFound.
func (tx ReadTxn) Refund(a Account, outRefundNo string) (*Refund, error) {
	return first[*Refund](tx, tableRefunds, "id", a.MchID, a.SubMchID, outRefundNo)
}

// Refunds returns every refund, ordered by (mchid, sub_mchid, out_refund_no).
func (tx ReadTxn) Refunds() ([]*Refund, error) {
	return all[*Refund](tx, tableRefunds, "id_prefix")
}

// RefundsOf returns the refunds of one charge of an account.
func (tx ReadTxn) RefundsOf(a Account, transactionID string) ([]*Refund, error) {
	return all[*Refund](tx, tableRefunds, "transaction", a.MchID, a.SubMchID, transactionID)
}

// PutRefund inserts or replaces a refund.
func (tx WriteTxn) PutRefund(r *Refund) error {
	if err := tx.tx.Insert(tableRefunds, r); err != nil {
		return fmt.Errorf("put refund %s: %w", r.OutRefundNo, err)
	}
	return nil
}
