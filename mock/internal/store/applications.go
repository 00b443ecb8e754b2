package store

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tableApplications = "applications"

// Application states (apply_state).
const (
	ApplicationProcessing = "PROCESSING" // 处理中
	ApplicationApproved   = "APPROVED"   // 绑定成功
	ApplicationRejected   = "REJECTED"   // 绑定失败
)

// Application is a 平台收付通 service provider's application to bind one of
// its sub-merchants to its Pay Score service (服务账户绑定,
// protocol-partner.md §6), known by the service provider's out_apply_no.
type Application struct {
	MchID           string `json:",omitzero"` // the service provider
	SubMchID        string `json:",omitzero"`
	OutApplyNo      string `json:",omitzero"`
	ServiceID       string `json:",omitzero"`
	AppID           string `json:",omitzero"`
	SubAppID        string `json:",omitzero"`
	ResultNotifyURL string `json:",omitzero"`
	State           string `json:",omitzero"`
	RejectReason    string `json:",omitzero"`
	// Digest identifies the application's parameters, so that an
	// identical retry is answered with the application.
	Digest    Digest    `json:",omitzero"`
	CreatedAt time.Time `json:",omitzero"`
	UpdatedAt time.Time `json:",omitzero"`
	// Due is when a PROCESSING application is decided, recorded so that a
	// restored server decides it when it was going to.
	Due Due `json:",omitzero"`
}

// Copy returns a copy to change and insert again.
func (a *Application) Copy() *Application {
	c := *a
	return &c
}

func applicationsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableApplications,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Application]{parts: 2, key: func(a *Application) []string {
				return []string{a.MchID, a.OutApplyNo}
			}}},
		},
	}
}

// Application returns a service provider's application by out_apply_no,
// or ErrNotFound.
func (tx ReadTxn) Application(mchid, outApplyNo string) (*Application, error) {
	return first[*Application](tx, tableApplications, "id", mchid, outApplyNo)
}

// Applications returns every application, ordered by (mchid, out_apply_no).
func (tx ReadTxn) Applications() ([]*Application, error) {
	return all[*Application](tx, tableApplications, "id_prefix")
}

// PutApplication inserts or replaces an application.
func (tx WriteTxn) PutApplication(a *Application) error {
	if err := tx.tx.Insert(tableApplications, a); err != nil {
		return fmt.Errorf("put application %s/%s: %w", a.MchID, a.OutApplyNo, err)
	}
	return nil
}
