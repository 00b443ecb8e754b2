package store

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tablePlates = "plates"

// Plate service states (service_state, protocol-parking.md §2).
const (
	PlateNormal     = "NORMAL"      // the user has the parking service on for the plate
	PlatePause      = "PAUSE"       // the user paused it
	PlateOutService = "OUT_SERVICE" // not opened for the plate, or closed again
)

// NoSubMchID stands for "no sub-merchant" in the keys of the parking
// tables, which scope every row by (merchant, sub-merchant): a direct
// merchant's rows have none, and a restored key must have every part
// given. No sub_mchid can be it: sub_mchids are digits.
const NoSubMchID = "-"

// subKey is a row's sub-merchant as its keys write it.
func subKey(subMchID string) string {
	if subMchID == "" {
		return NoSubMchID
	}
	return subMchID
}

// Plate is a user's Pay Score parking service for one plate, opened with a
// merchant (or a service provider's sub-merchant) in WeChat's parking
// mini-program: the sandbox plays the user who opens, pauses and closes it.
type Plate struct {
	MchID       string    `json:",omitzero"`
	SubMchID    string    `json:",omitzero"` // empty for a direct merchant
	OpenID      string    `json:",omitzero"`
	AppID       string    `json:",omitzero"` // the appid the openid belongs to
	PlateNumber string    `json:",omitzero"`
	PlateColor  string    `json:",omitzero"`
	State       string    `json:",omitzero"` // PlateNormal, PlatePause or PlateOutService
	OpenedAt    time.Time `json:",omitzero"` // service_open_time: when the user last opened it
	UpdatedAt   time.Time `json:",omitzero"`
}

// Copy returns a copy to change and insert again.
func (p *Plate) Copy() *Plate {
	c := *p
	return &c
}

// InService reports whether the user holds the service for the plate,
// paused or not.
func (p *Plate) InService() bool { return p.State == PlateNormal || p.State == PlatePause }

func platesTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tablePlates,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Plate]{parts: 5, key: func(p *Plate) []string {
				return []string{p.MchID, subKey(p.SubMchID), p.OpenID, p.PlateNumber, p.PlateColor}
			}}},
			// plate finds the users of a plate: one holds its service at a time.
			"plate": {Name: "plate", Indexer: keyIndex[*Plate]{parts: 4, key: func(p *Plate) []string {
				return []string{p.MchID, subKey(p.SubMchID), p.PlateNumber, p.PlateColor}
			}}},
			"user": {Name: "user", Indexer: keyIndex[*Plate]{parts: 1, key: func(p *Plate) []string { return []string{p.OpenID} }}},
		},
	}
}

// Plate returns a user's service for a plate, or ErrNotFound.
func (tx ReadTxn) Plate(mchid, subMchID, openid, plateNumber, plateColor string) (*Plate, error) {
	return first[*Plate](tx, tablePlates, "id", mchid, subKey(subMchID), openid, plateNumber, plateColor)
}

// PlateHolder returns the user who holds the service for a plate (NORMAL
// or PAUSE), or ErrNotFound when nobody does.
func (tx ReadTxn) PlateHolder(mchid, subMchID, plateNumber, plateColor string) (*Plate, error) {
	ps, err := all[*Plate](tx, tablePlates, "plate", mchid, subKey(subMchID), plateNumber, plateColor)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.InService() {
			return p, nil
		}
	}
	return nil, ErrNotFound
}

// PlatesOfUser returns every plate service a user has or had.
func (tx ReadTxn) PlatesOfUser(openid string) ([]*Plate, error) {
	return all[*Plate](tx, tablePlates, "user", openid)
}

// PutPlate inserts or replaces a plate service.
func (tx WriteTxn) PutPlate(p *Plate) error {
	if err := tx.tx.Insert(tablePlates, p); err != nil {
		return fmt.Errorf("put plate %s/%s %s %s: %w", p.MchID, p.OpenID, p.PlateNumber, p.PlateColor, err)
	}
	return nil
}

// Plates returns every plate service, of every merchant.
func (tx ReadTxn) Plates() ([]*Plate, error) {
	return all[*Plate](tx, tablePlates, "id_prefix")
}
