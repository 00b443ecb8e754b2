package store

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

const tableUsers = "users"

// User is a sandbox WeChat user, known by openid.
type User struct {
	OpenID string `json:",omitzero"`
	// Balance is what deductions may take, in fen; nil means unlimited,
	// which is every user's start.
	Balance *int64 `json:",omitzero"`
	// RefundOutcome is how refunds to this user end: "" (SUCCESS),
	// ABNORMAL (say, a frozen card) or CLOSED.
	RefundOutcome string `json:",omitzero"`
}

func usersTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableUsers,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*User]{parts: 1, key: func(u *User) []string { return []string{u.OpenID} }}},
		},
	}
}

// User returns the user with openid; a user never seen has an unlimited wallet.
func (tx ReadTxn) User(openid string) (*User, error) {
	u, err := first[*User](tx, tableUsers, "id", openid)
	if err == ErrNotFound {
		return &User{OpenID: openid}, nil
	}
	return u, err
}

// PutUser inserts or replaces a user.
func (tx WriteTxn) PutUser(u *User) error {
	if err := tx.tx.Insert(tableUsers, u); err != nil {
		return fmt.Errorf("put user %s: %w", u.OpenID, err)
	}
	return nil
}
