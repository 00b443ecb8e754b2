package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tableParkingTransactions = "parking_transactions"

// KindParking is a parking transaction's kind where orders of every API
// meet: the notifications about it, the request log and the sandbox's
// order listing.
const KindParking Kind = "parking"

// KindParkingEntry is what a callback about a parking entry is about
// (VEHICLE.ENTRANCE_STATE_CHANGE), named by its out_parking_no.
const KindParkingEntry Kind = "parking-entry"

// Parking transaction states (trade_state, protocol-parking.md §2).
const (
	TradeAccepted = "ACCEPTED" // accepted, the deduction is still to come
	TradeSuccess  = "SUCCESS"  // paid, by the user or by WeChat Pay's advance
	TradePayFail  = "PAY_FAIL" // the deduction failed
)

// BankTypeAdvance is the bank_type of a transaction WeChat Pay paid by
// advancing the money (垫资), which the user owes it until repaid.
const BankTypeAdvance = "BPA"

// ParkingTransaction is a Pay Score parking deduction (扣费受理): accepted
// at once, settled on the clock.
type ParkingTransaction struct {
	MchID      string `json:",omitzero"`
	SubMchID   string `json:",omitzero"` // empty for a direct merchant
	OutTradeNo string `json:",omitzero"`
	AppID      string `json:",omitzero"`
	SubAppID   string `json:",omitzero"`
	OpenID     string `json:",omitzero"` // the payer: the user holding the plate's service
	SubOpenID  string `json:",omitzero"` // the payer under SubAppID, when one was sent

	Description   string `json:",omitzero"`
	Attach        string `json:",omitzero"`
	GoodsTag      string `json:",omitzero"`
	NotifyURL     string `json:",omitzero"`
	ProfitSharing string `json:",omitzero"` // Y or N as sent, "" when not
	Total         int64  `json:",omitzero"` // fen
	Currency      string `json:",omitzero"`

	// ParkingInfo is the request's parking_info, as sent.
	ParkingID        string `json:",omitzero"`
	PlateNumber      string `json:",omitzero"`
	PlateColor       string `json:",omitzero"`
	StartTime        string `json:",omitzero"`
	EndTime          string `json:",omitzero"`
	ParkingName      string `json:",omitzero"`
	ChargingDuration int64  `json:",omitzero"`
	DeviceID         string `json:",omitzero"`

	TradeState            string    `json:",omitzero"`
	TradeStateDescription string    `json:",omitzero"`
	TransactionID         string    `json:",omitzero"` // once paid
	SuccessTime           time.Time `json:",omitzero"`
	BankType              string    `json:",omitzero"` // once paid; BankTypeAdvance for an advance
	UserRepaid            string    `json:",omitzero"` // "N", then "Y", for an advance only

	// DeductionAttempts counts the deduction attempts, which scenarios
	// may fail by number.
	DeductionAttempts int `json:",omitzero"`
	// AttemptsDue are the deduction attempts scheduled and not yet made,
	// and RepayDue a scenario's user repaying an advance, so that a
	// restored server re-arms them.
	AttemptsDue []AttemptDue `json:",omitzero"`
	RepayDue    Due          `json:",omitzero"`

	// CreateDigest identifies the acceptance's parameters: a retry with
	// identical parameters returns the transaction.
	CreateDigest Digest    `json:",omitzero"`
	CreatedAt    time.Time `json:",omitzero"`
	UpdatedAt    time.Time `json:",omitzero"`
	Events       []Event   `json:",omitzero"`
}

// AttemptDue is a scheduled deduction attempt of a parking transaction.
// Held marks an attempt a scenario has already delayed once, which it is
// not delayed again.
type AttemptDue struct {
	Due
	Why  string `json:",omitzero"`
	Held bool   `json:",omitzero"`
}

// Copy returns a copy that may be changed and inserted again.
func (t *ParkingTransaction) Copy() *ParkingTransaction {
	c := *t
	// Cloned, not clipped: a fired attempt deletes its entry in place.
	c.AttemptsDue = slices.Clone(t.AttemptsDue)
	c.Events = slices.Clip(t.Events)
	return &c
}

// AddEvent appends to the timeline of a copied transaction.
func (t *ParkingTransaction) AddEvent(ev Event) { t.Events = append(t.Events, ev) }

// Owes reports whether the user still owes WeChat Pay the advance that
// paid this transaction.
func (t *ParkingTransaction) Owes() bool {
	return t.BankType == BankTypeAdvance && t.UserRepaid == "N"
}

func parkingTransactionsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableParkingTransactions,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*ParkingTransaction]{parts: 3, key: func(t *ParkingTransaction) []string {
				return []string{t.MchID, subKey(t.SubMchID), t.OutTradeNo}
			}}},
			// out_trade_no finds a merchant's transaction across its
			// sub-merchants, for the sandbox's order paths.
			"out_trade_no": {Name: "out_trade_no", Indexer: keyIndex[*ParkingTransaction]{parts: 2, key: func(t *ParkingTransaction) []string {
				return []string{t.MchID, t.OutTradeNo}
			}}},
			// arrears are the advances a user has not repaid.
			"arrears": {Name: "arrears", AllowMissing: true, Indexer: keyIndex[*ParkingTransaction]{parts: 1, key: func(t *ParkingTransaction) []string {
				if !t.Owes() {
					return nil
				}
				return []string{t.OpenID}
			}}},
		},
	}
}

// ParkingTransaction returns a transaction by out_trade_no, or ErrNotFound.
func (tx ReadTxn) ParkingTransaction(mchid, subMchID, outTradeNo string) (*ParkingTransaction, error) {
	return first[*ParkingTransaction](tx, tableParkingTransactions, "id", mchid, subKey(subMchID), outTradeNo)
}

// ParkingTransactionsByOutTradeNo returns a merchant's transactions with
// out_trade_no, under any of its sub-merchants.
func (tx ReadTxn) ParkingTransactionsByOutTradeNo(mchid, outTradeNo string) ([]*ParkingTransaction, error) {
	return all[*ParkingTransaction](tx, tableParkingTransactions, "out_trade_no", mchid, outTradeNo)
}

// ParkingTransactions returns the transactions of one merchant, or of all
// when mchid is empty.
func (tx ReadTxn) ParkingTransactions(mchid string) ([]*ParkingTransaction, error) {
	if mchid == "" {
		return all[*ParkingTransaction](tx, tableParkingTransactions, "id_prefix")
	}
	return all[*ParkingTransaction](tx, tableParkingTransactions, "id_prefix", mchid)
}

// InArrears reports whether a user owes WeChat Pay an advance.
func (tx ReadTxn) InArrears(openid string) (bool, error) {
	_, err := first[*ParkingTransaction](tx, tableParkingTransactions, "arrears", openid)
	switch err {
	case nil:
		return true, nil
	case ErrNotFound:
		return false, nil
	}
	return false, err
}

// PutParkingTransaction inserts or replaces a transaction.
func (tx WriteTxn) PutParkingTransaction(t *ParkingTransaction) error {
	if err := tx.tx.Insert(tableParkingTransactions, t); err != nil {
		return fmt.Errorf("put parking transaction %s/%s: %w", t.MchID, t.OutTradeNo, err)
	}
	return nil
}
