package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSchema(t *testing.T) {
	s := schema()
	require.NoError(t, s.Validate())
	for name, table := range s.Tables {
		_, ok := table.Indexes["id"]
		assert.True(t, ok, "table %s has the id index memdb requires", name)
	}
	session := []string{tablePermissions, tableOrders, tableNotifications, tableUsers, tableTransactions, tableRefunds, tableApplications,
		tablePlates, tableParkings, tableParkingTransactions}
	assert.ElementsMatch(t, append([]string{tableMerchants}, session...), keys(s.Tables))
	assert.ElementsMatch(t, session, sessionTables, "reset drops every table but merchants")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestKeyIndex(t *testing.T) {
	idx := keyIndex[*Order]{parts: 3, key: func(o *Order) []string {
		if o.OutOrderNo == "" {
			return nil
		}
		return []string{o.MchID, string(o.Kind), o.OutOrderNo}
	}}
	tests := []struct {
		name    string
		call    func() (any, error)
		want    any
		wantErr bool
	}{
		{"object", func() (any, error) {
			ok, b, err := idx.FromObject(&Order{MchID: "1", Kind: "k", OutOrderNo: "n"})
			return []any{ok, string(b)}, err
		}, []any{true, "1\x00k\x00n\x00"}, false},
		{"object not in the index", func() (any, error) {
			ok, b, err := idx.FromObject(&Order{MchID: "1"})
			return []any{ok, b}, err
		}, []any{false, []byte(nil)}, false},
		{"object of another type", func() (any, error) { _, _, err := idx.FromObject("x"); return nil, err }, nil, true},
		{"args", func() (any, error) { b, err := idx.FromArgs("1", "k", "n"); return string(b), err }, "1\x00k\x00n\x00", false},
		{"too few args", func() (any, error) { _, err := idx.FromArgs("1"); return nil, err }, nil, true},
		{"non-string arg", func() (any, error) { _, err := idx.FromArgs("1", 2, "n"); return nil, err }, nil, true},
		{"prefix of whole parts", func() (any, error) { b, err := idx.PrefixFromArgs("123"); return string(b), err }, "123\x00", false},
		{"empty prefix", func() (any, error) { b, err := idx.PrefixFromArgs(); return string(b), err }, "", false},
		{"prefix too long", func() (any, error) { _, err := idx.PrefixFromArgs("1", "2", "3", "4"); return nil, err }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A merchant's orders are exactly its own: the zero byte after each key part
// keeps merchant 123's prefix from matching merchant 1234.
func TestOrders_PrefixIsolation(t *testing.T) {
	s := New()
	tx := s.Write()
	for _, o := range []*Order{
		{Seq: 1, MchID: "123", Kind: KindServiceOrder, OutOrderNo: "A", OrderID: "1"},
		{Seq: 2, MchID: "1234", Kind: KindServiceOrder, OutOrderNo: "A", OrderID: "2"},
		{Seq: 3, MchID: "123", Kind: KindPayAfter, OutOrderNo: "A", OrderID: "3"},
	} {
		require.NoError(t, tx.PutOrder(o))
	}
	tx.Commit()
	r := s.Read()
	os, err := r.Orders("123")
	require.NoError(t, err)
	assert.Len(t, os, 2)
	all, err := r.Orders("")
	require.NoError(t, err)
	assert.Len(t, all, 3)
	o, err := r.Order(Account{MchID: "123"}, KindPayAfter, "A")
	require.NoError(t, err)
	assert.Equal(t, "3", o.OrderID, "kinds keep separate out_order_no spaces")
	byQuery, err := r.OrderByQueryID(Account{MchID: "1234"}, KindServiceOrder, (&Order{Seq: 2, OrderID: "2"}).QueryID())
	require.NoError(t, err)
	assert.Equal(t, "1234", byQuery.MchID)
	for _, wrong := range []struct {
		a     Account
		kind  Kind
		query string
	}{
		{Account{MchID: "123"}, KindServiceOrder, (&Order{Seq: 2, OrderID: "2"}).QueryID()},  // another merchant's
		{Account{MchID: "123"}, KindServiceOrder, (&Order{Seq: 3, OrderID: "3"}).QueryID()},  // another kind's
		{Account{MchID: "1234"}, KindServiceOrder, (&Order{Seq: 2, OrderID: "9"}).QueryID()}, // the seq, another order id
		{Account{MchID: "1234"}, KindServiceOrder, "not base64 at all, not even close"},
		{Account{MchID: "1234"}, KindServiceOrder, ""},
	} {
		_, err := r.OrderByQueryID(wrong.a, wrong.kind, wrong.query)
		assert.ErrorIs(t, err, ErrNotFound, "%s %s %q", wrong.a, wrong.kind, wrong.query)
	}
	_, err = r.Order(Account{MchID: "12"}, KindServiceOrder, "A")
	assert.ErrorIs(t, err, ErrNotFound)
}

// A service provider's sub-merchants keep separate out_order_no spaces,
// apart from each other's and from a direct merchant with the same mchid.
func TestOrders_SubMerchantIsolation(t *testing.T) {
	s := New()
	tx := s.Write()
	for _, o := range []*Order{
		{Seq: 1, MchID: "1900000001", SubMchID: "1900000109", Kind: KindServiceOrder, OutOrderNo: "A", OrderID: "1"},
		{Seq: 2, MchID: "1900000001", SubMchID: "1900000110", Kind: KindServiceOrder, OutOrderNo: "A", OrderID: "2"},
		{Seq: 3, MchID: "1900000001", Kind: KindServiceOrder, OutOrderNo: "A", OrderID: "3"},
	} {
		require.NoError(t, tx.PutOrder(o))
	}
	tx.Commit()
	r := s.Read()
	for _, tt := range []struct {
		a    Account
		want string
	}{
		{Account{"1900000001", "1900000109"}, "1"},
		{Account{"1900000001", "1900000110"}, "2"},
		{Account{"1900000001", ""}, "3"},
	} {
		o, err := r.Order(tt.a, KindServiceOrder, "A")
		require.NoError(t, err, tt.a.String())
		assert.Equal(t, tt.want, o.OrderID, tt.a.String())
		byQuery, err := r.OrderByQueryID(tt.a, KindServiceOrder, o.QueryID())
		require.NoError(t, err, tt.a.String())
		assert.Equal(t, tt.want, byQuery.OrderID)
	}
	_, err := r.OrderByQueryID(Account{"1900000001", "1900000110"}, KindServiceOrder, (&Order{Seq: 1, OrderID: "1"}).QueryID())
	assert.ErrorIs(t, err, ErrNotFound, "another sub-merchant's query_id finds nothing")
	all, err := r.Orders("1900000001")
	require.NoError(t, err)
	assert.Len(t, all, 3, "a service provider's orders are those of all its sub-merchants")
}

func TestOrder_Copy(t *testing.T) {
	amount := int64(5)
	orig := &Order{
		PostPayments: []PostPayment{{Name: "a", Amount: &amount}},
		Location:     &Location{StartLocation: "s"},
		Collection:   &Collection{Details: make([]CollectionDetail, 1, 4)},
		Events:       make([]Event, 1, 4),
	}
	c := orig.Copy()
	c.PostPayments[0].Name = "b"
	c.Location.EndLocation = "e"
	c.Collection.Details = append(c.Collection.Details, CollectionDetail{Seq: 2})
	c.Collection.State = CollectionPaid
	c.AddEvent(Event{Type: "state"})
	c.Events[0].Summary = "changed"
	assert.Equal(t, "a", orig.PostPayments[0].Name)
	assert.Empty(t, orig.Location.EndLocation)
	assert.Len(t, orig.Collection.Details, 1)
	assert.Empty(t, orig.Collection.State)
	assert.Len(t, orig.Events, 1)
	assert.Equal(t, Event{}, orig.Events[:2][1], "an append to the copy never writes into the stored array")
}

func TestUpdateMerchant(t *testing.T) {
	s := New()
	tx := s.Write()
	require.NoError(t, tx.InsertMerchant(&Merchant{MchID: "1", AppIDs: []string{"wx1"}, ServiceIDs: []string{"s1"}}))
	tx.Commit()
	stored, err := s.Read().Merchant("1")
	require.NoError(t, err)

	c := stored.Copy()
	c.AppIDs[0], c.ServiceIDs[0], c.NotifyURL = "wx2", "s2", "https://example.com/n"
	assert.Equal(t, []string{"wx1"}, stored.AppIDs, "the copy's lists are its own")
	assert.Equal(t, []string{"s1"}, stored.ServiceIDs)
	tx = s.Write()
	require.NoError(t, tx.UpdateMerchant(c))
	assert.ErrorIs(t, tx.UpdateMerchant(&Merchant{MchID: "2"}), ErrNotFound, "only a registered merchant is updated")
	tx.Commit()
	got, err := s.Read().Merchant("1")
	require.NoError(t, err)
	assert.Equal(t, c, got)
	_, err = s.Read().Merchant("2")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestPermissionByOpenID_PrefersAvailable(t *testing.T) {
	s := New()
	tx := s.Write()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, tx.PutPermission(&Permission{ID: "old", MchID: "1", ServiceID: "s", OpenID: "o", State: PermissionAvailable, UpdatedAt: now}))
	require.NoError(t, tx.PutPermission(&Permission{ID: "new", MchID: "1", ServiceID: "s", OpenID: "o", State: PermissionUnavailable, UpdatedAt: now.Add(time.Hour)}))
	require.NoError(t, tx.PutPermission(&Permission{ID: "unbound", MchID: "1", ServiceID: "s", AuthorizationCode: "c", State: PermissionUnbound}))
	tx.Commit()
	p, err := s.Read().PermissionOfUser(Account{MchID: "1"}, "s", UserRef{OpenID: "o"})
	require.NoError(t, err)
	assert.Equal(t, "old", p.ID, "the authorization in force wins over a later ended one")
	_, err = s.Read().PermissionOfUser(Account{MchID: "1"}, "s", UserRef{OpenID: "other"})
	assert.ErrorIs(t, err, ErrNotFound)
	p, err = s.Read().PermissionByCode(Account{MchID: "1"}, "s", "c")
	require.NoError(t, err)
	assert.Equal(t, "unbound", p.ID)
}

func TestDeleteMerchantAndReset(t *testing.T) {
	s := New()
	tx := s.Write()
	for _, id := range []string{"1", "2"} {
		require.NoError(t, tx.InsertMerchant(&Merchant{MchID: id}))
		require.NoError(t, tx.PutOrder(&Order{MchID: id, Kind: KindServiceOrder, OutOrderNo: "A", OrderID: id}))
		require.NoError(t, tx.PutPermission(&Permission{ID: "p" + id, MchID: id, ServiceID: "s"}))
		require.NoError(t, tx.PutNotification(&Notification{ID: "n" + id, MchID: id, OrderKind: KindServiceOrder, OutOrderNo: "A"}))
		require.NoError(t, tx.PutPlate(&Plate{MchID: id, OpenID: "o", PlateNumber: "粤B1", PlateColor: "BLUE", State: PlateNormal}))
		require.NoError(t, tx.PutParking(&Parking{ID: "P" + id, MchID: id, OutParkingNo: "IN", PlateNumber: "粤B1", PlateColor: "BLUE"}))
		require.NoError(t, tx.PutParkingTransaction(&ParkingTransaction{MchID: id, OutTradeNo: "T", OpenID: "o", BankType: BankTypeAdvance, UserRepaid: "N"}))
	}
	require.NoError(t, tx.PutUser(&User{OpenID: "o"}))
	assert.ErrorIs(t, tx.InsertMerchant(&Merchant{MchID: "1"}), ErrExists)
	tx.Commit()

	tx = s.Write()
	require.NoError(t, tx.DeleteMerchant("1"))
	tx.Commit()
	r := s.Read()
	_, err := r.Merchant("1")
	assert.ErrorIs(t, err, ErrNotFound)
	os, _ := r.Orders("1")
	assert.Empty(t, os)
	ps, _ := r.PermissionsOfMerchant("1")
	assert.Empty(t, ps)
	_, err = r.Notification("n1")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = r.Notification("n2")
	assert.NoError(t, err, "other merchants' data stays")
	_, err = r.ParkingByID("P1")
	assert.ErrorIs(t, err, ErrNotFound, "the merchant's parking entries go")
	_, err = r.OpenParking("2", "", "粤B1", "BLUE")
	assert.NoError(t, err)
	pts, _ := r.ParkingTransactions("1")
	assert.Empty(t, pts)
	_, err = r.Plate("1", "", "o", "粤B1", "BLUE")
	assert.ErrorIs(t, err, ErrNotFound)
	owes, err := r.InArrears("o")
	require.NoError(t, err)
	assert.True(t, owes, "merchant 2's advance is still owed")

	tx = s.Write()
	assert.ErrorIs(t, tx.DeleteMerchant("1"), ErrNotFound)
	require.NoError(t, tx.Reset())
	tx.Commit()
	r = s.Read()
	ms, _ := r.Merchants()
	assert.Len(t, ms, 1, "reset keeps merchants")
	all, _ := r.Orders("")
	assert.Empty(t, all)
	ns, _ := r.Notifications()
	assert.Empty(t, ns)
	_, err = first[*User](r, tableUsers, "id", "o")
	assert.ErrorIs(t, err, ErrNotFound)
	plates, _ := r.PlatesOfUser("o")
	assert.Empty(t, plates, "reset drops plates")
	pts, _ = r.ParkingTransactions("")
	assert.Empty(t, pts)
	_, err = r.ParkingByID("P2")
	assert.ErrorIs(t, err, ErrNotFound)
}

// A direct merchant's parking rows and a sub-merchant's never meet: the
// sub-merchant is part of every key.
func TestParking_SubMerchantScope(t *testing.T) {
	s := New()
	tx := s.Write()
	require.NoError(t, tx.PutPlate(&Plate{MchID: "1", OpenID: "o", PlateNumber: "粤B1", PlateColor: "BLUE", State: PlatePause}))
	require.NoError(t, tx.PutPlate(&Plate{MchID: "1", SubMchID: "2", OpenID: "o", PlateNumber: "粤B1", PlateColor: "BLUE", State: PlateOutService}))
	require.NoError(t, tx.PutParkingTransaction(&ParkingTransaction{MchID: "1", OutTradeNo: "T", TradeState: TradeAccepted}))
	require.NoError(t, tx.PutParkingTransaction(&ParkingTransaction{MchID: "1", SubMchID: "2", OutTradeNo: "T", TradeState: TradeSuccess}))
	tx.Commit()
	r := s.Read()
	p, err := r.PlateHolder("1", "", "粤B1", "BLUE")
	require.NoError(t, err)
	assert.Equal(t, PlatePause, p.State)
	_, err = r.PlateHolder("1", "2", "粤B1", "BLUE")
	assert.ErrorIs(t, err, ErrNotFound, "nobody holds the sub-merchant's plate")
	direct, err := r.ParkingTransaction("1", "", "T")
	require.NoError(t, err)
	assert.Equal(t, TradeAccepted, direct.TradeState)
	sub, err := r.ParkingTransaction("1", "2", "T")
	require.NoError(t, err)
	assert.Equal(t, TradeSuccess, sub.TradeState)
	both, err := r.ParkingTransactionsByOutTradeNo("1", "T")
	require.NoError(t, err)
	assert.Len(t, both, 2)
}

func TestWriteTxn_DeferRunsOnlyAfterCommit(t *testing.T) {
	s := New()
	ran := 0
	tx := s.Write()
	tx.Defer(func() { ran++ })
	tx.Abort()
	assert.Zero(t, ran, "an aborted change fires nothing")
	tx = s.Write()
	tx.Defer(func() { ran++ })
	tx.Commit()
	assert.Equal(t, 1, ran)
}
