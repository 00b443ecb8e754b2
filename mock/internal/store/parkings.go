package store

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tableParkings = "parkings"

// Parking entry states (state, protocol-parking.md §4): whether Pay Score
// parking can pay for this stay.
const (
	ParkingNormal  = "NORMAL"
	ParkingBlocked = "BLOCKED"
)

// Why an entry is BLOCKED (block_reason, protocol-parking.md §2).
const (
	BlockPause            = "PAUSE"             // the user paused the service
	BlockOverdue          = "OVERDUE"           // the user owes WeChat Pay an advance
	BlockOutService       = "OUT_SERVICE"       // nobody has the service on for the plate
	BlockEvaluationFailed = "EVALUATION_FAILED" // the user's Pay Score assessment failed
)

// How an entry stopped being the plate's open entry.
const (
	ParkingSuperseded = "superseded" // a newer entry of the plate replaced it
	ParkingDeducted   = "deducted"   // a deduction was accepted for it
)

// Parking is a parking entry (停车入场): a vehicle that entered a car park,
// which a deduction pays for when it leaves. A plate has at most one open
// entry per merchant and sub-merchant: the latest, until a deduction
// consumes it.
type Parking struct {
	ID           string    `json:",omitzero"` // WeChat Pay's entry id, used as parking_info.parking_id
	MchID        string    `json:",omitzero"`
	SubMchID     string    `json:",omitzero"` // empty for a direct merchant
	OutParkingNo string    `json:",omitzero"`
	PlateNumber  string    `json:",omitzero"`
	PlateColor   string    `json:",omitzero"`
	NotifyURL    string    `json:",omitzero"`
	StartTime    string    `json:",omitzero"` // as the merchant sent it, which the answer echoes
	Start        time.Time `json:",omitzero"` // StartTime parsed, which a deduction must name
	ParkingName  string    `json:",omitzero"`
	FreeDuration int64     `json:",omitzero"`
	State        string    `json:",omitzero"` // ParkingNormal or ParkingBlocked
	BlockReason  string    `json:",omitzero"` // when ParkingBlocked
	// EvaluationFailed is the user's assessment at entry: a failed one
	// blocks the entry for good.
	EvaluationFailed bool   `json:",omitzero"`
	Closed           string `json:",omitzero"` // "" while open, else ParkingSuperseded or ParkingDeducted
	OutTradeNo       string `json:",omitzero"` // the deduction that consumed it
	// CreateDigest identifies the create request's parameters: a retry
	// with identical parameters returns the entry.
	CreateDigest Digest    `json:",omitzero"`
	CreatedAt    time.Time `json:",omitzero"`
	UpdatedAt    time.Time `json:",omitzero"`
}

// Copy returns a copy to change and insert again.
func (p *Parking) Copy() *Parking {
	c := *p
	return &c
}

func parkingsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableParkings,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Parking]{parts: 3, key: func(p *Parking) []string {
				return []string{p.MchID, subKey(p.SubMchID), p.OutParkingNo}
			}}},
			"entry": {Name: "entry", Unique: true, Indexer: keyIndex[*Parking]{parts: 1, key: func(p *Parking) []string { return []string{p.ID} }}},
			// open is the plate's one open entry.
			"open": {Name: "open", Unique: true, AllowMissing: true, Indexer: keyIndex[*Parking]{parts: 4, key: func(p *Parking) []string {
				if p.Closed != "" {
					return nil
				}
				return []string{p.MchID, subKey(p.SubMchID), p.PlateNumber, p.PlateColor}
			}}},
		},
	}
}

// Parking returns an entry by the merchant's out_parking_no, or ErrNotFound.
func (tx ReadTxn) Parking(mchid, subMchID, outParkingNo string) (*Parking, error) {
	return first[*Parking](tx, tableParkings, "id", mchid, subKey(subMchID), outParkingNo)
}

// ParkingByID returns an entry by WeChat Pay's id, whoever's it is, or
// ErrNotFound.
func (tx ReadTxn) ParkingByID(id string) (*Parking, error) {
	return first[*Parking](tx, tableParkings, "entry", id)
}

// OpenParking returns a plate's open entry, or ErrNotFound.
func (tx ReadTxn) OpenParking(mchid, subMchID, plateNumber, plateColor string) (*Parking, error) {
	return first[*Parking](tx, tableParkings, "open", mchid, subKey(subMchID), plateNumber, plateColor)
}

// PutParking inserts or replaces an entry.
func (tx WriteTxn) PutParking(p *Parking) error {
	if err := tx.tx.Insert(tableParkings, p); err != nil {
		return fmt.Errorf("put parking entry %s/%s: %w", p.MchID, p.OutParkingNo, err)
	}
	return nil
}

// Parkings returns every parking entry, of every merchant.
func (tx ReadTxn) Parkings() ([]*Parking, error) {
	return all[*Parking](tx, tableParkings, "id_prefix")
}
