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
	TransactionID string
	MchID         string
	OutTradeNo    string // the deduction's own merchant trade no., which Pay Score generates
	OrderKind     Kind   // the Pay Score order it collected for
	OutOrderNo    string
	OpenID        string
	Amount        int64
	PaidAt        time.Time
}

func transactionsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableTransactions,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Transaction]{parts: 2, key: func(t *Transaction) []string {
				return []string{t.MchID, t.TransactionID}
			}}},
			"out_trade_no": {Name: "out_trade_no", Unique: true, Indexer: keyIndex[*Transaction]{parts: 2, key: func(t *Transaction) []string {
				return []string{t.MchID, t.OutTradeNo}
			}}},
		},
	}
}

// Transaction returns a merchant's charge by transaction_id, or ErrNotFound.
func (tx ReadTxn) Transaction(mchid, transactionID string) (*Transaction, error) {
	return first[*Transaction](tx, tableTransactions, "id", mchid, transactionID)
}

// TransactionByOutTradeNo returns a merchant's charge by its out_trade_no, or ErrNotFound.
func (tx ReadTxn) TransactionByOutTradeNo(mchid, outTradeNo string) (*Transaction, error) {
	return first[*Transaction](tx, tableTransactions, "out_trade_no", mchid, outTradeNo)
}

// InsertTransaction records a charge.
func (tx WriteTxn) InsertTransaction(t *Transaction) error {
	if err := tx.tx.Insert(tableTransactions, t); err != nil {
		return fmt.Errorf("insert transaction %s: %w", t.TransactionID, err)
	}
	return nil
}
