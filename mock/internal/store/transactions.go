package store

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tableTransactions = "transactions"

// Transaction is a WeChat Pay charge a Pay Score collection produced: what
// refunds name by transaction_id.
type Transaction struct {
	TransactionID string    `json:",omitzero"`
	MchID         string    `json:",omitzero"`
	SubMchID      string    `json:",omitzero"` // the sub-merchant of a partner order's charge
	OutTradeNo    string    `json:",omitzero"` // the deduction's own merchant trade no., which Pay Score generates
	OrderKind     Kind      `json:",omitzero"` // the Pay Score order it collected for
	OutOrderNo    string    `json:",omitzero"`
	OpenID        string    `json:",omitzero"`
	Amount        int64     `json:",omitzero"`
	PaidAt        time.Time `json:",omitzero"`
}

func transactionsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableTransactions,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Transaction]{parts: 3, account: true, key: func(t *Transaction) []string {
				return t.Account().key(t.TransactionID)
			}}},
			"out_trade_no": {Name: "out_trade_no", Unique: true, Indexer: keyIndex[*Transaction]{parts: 3, account: true, key: func(t *Transaction) []string {
				return t.Account().key(t.OutTradeNo)
			}}},
		},
	}
}

// Transaction returns an account's charge by transaction_id, or ErrNotFound.
func (tx ReadTxn) Transaction(a Account, transactionID string) (*Transaction, error) {
	return first[*Transaction](tx, tableTransactions, "id", a.MchID, a.SubMchID, transactionID)
}

// TransactionByOutTradeNo returns an account's charge by its out_trade_no, or ErrNotFound.
func (tx ReadTxn) TransactionByOutTradeNo(a Account, outTradeNo string) (*Transaction, error) {
	return first[*Transaction](tx, tableTransactions, "out_trade_no", a.MchID, a.SubMchID, outTradeNo)
}

// InsertTransaction records a charge.
func (tx WriteTxn) InsertTransaction(t *Transaction) error {
	if err := tx.tx.Insert(tableTransactions, t); err != nil {
		return fmt.Errorf("insert transaction %s: %w", t.TransactionID, err)
	}
	return nil
}
