package store

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshot_CoversEveryTable(t *testing.T) {
	var names []string
	for _, tr := range (&Snapshot{}).tables() {
		names = append(names, tr.name)
	}
	assert.ElementsMatch(t, keys(schema().Tables), names, "a table left out of Snapshot would not survive a restart")
}

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

// testKeyPEM is testKey as a merchant's apiclient_key.pem.
var testKeyPEM = func() string {
	der, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}()

// filledStore has a row in every table.
func filledStore(t *testing.T) *Store {
	t.Helper()
	s := New()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	amount := int64(300)
	tx := s.Write()
	require.NoError(t, tx.InsertMerchant(&Merchant{Seq: s.NextSeq(), MchID: "1", SerialNo: "AB", PublicKey: &testKey.PublicKey, PrivateKeyPEM: testKeyPEM, APIv3Key: strings.Repeat("k", 32), AppIDs: []string{"wx1"}, ServiceIDs: []string{"s1"}, PlatformMode: PlatformModeCertificate, CreatedAt: now}))
	require.NoError(t, tx.PutPermission(&Permission{ID: "p", MchID: "1", ServiceID: "s1", OpenID: "o", State: PermissionAvailable, PreAuthDigest: Digest{1, 2}, SuccessTime: now}))
	require.NoError(t, tx.PutOrder(&Order{
		Seq: s.NextSeq(), Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", OrderID: "100", State: StateDoing, StateDescription: DescMchComplete,
		PostPayments: []PostPayment{{Name: "fee", Amount: &amount}}, Collection: &Collection{State: CollectionPaying, TotalAmount: 300, PayingAmount: 300},
		DeductionsDue: []DeductionDue{{Due: s.DueIn(now, 5*time.Second), Why: "after completion"}},
		CreateDigest:  Digest{0xff}, CreatedAt: now, Events: []Event{{Seq: s.NextSeq(), At: now, Type: "state", Summary: "created"}},
	}))
	require.NoError(t, tx.PutOrder(&Order{Seq: s.NextSeq(), Kind: KindPayAfter, MchID: "1", OutOrderNo: "A", OrderID: "101", State: StateCreated, PayAfter: &PayAfter{}}))
	require.NoError(t, tx.PutNotification(&Notification{ID: "n", Seq: s.NextSeq(), MchID: "1", Resource: []byte(`{"a":1}`), Schedule: []time.Duration{15 * time.Second}, State: NotificationPending, NextAttempt: s.DueIn(now, 15*time.Second), Attempts: []Attempt{{At: now, Status: 500, DurationMS: 1.25}}}))
	require.NoError(t, tx.PutUser(&User{OpenID: "o", Balance: &amount}))
	require.NoError(t, tx.InsertTransaction(&Transaction{TransactionID: "4200", MchID: "1", OutTradeNo: "T", Amount: 300, PaidAt: now}))
	require.NoError(t, tx.PutRefund(&Refund{MchID: "1", OutRefundNo: "R", TransactionID: "4200", Status: RefundProcessing, Due: s.DueIn(now, 5*time.Second)}))
	require.NoError(t, tx.PutApplication(&Application{MchID: "1", SubMchID: "2", OutApplyNo: "AP", State: ApplicationProcessing, Due: s.DueIn(now, 5*time.Second)}))
	require.NoError(t, tx.PutPlate(&Plate{MchID: "1", OpenID: "o", AppID: "wx1", PlateNumber: "粤B888888", PlateColor: "BLUE", State: PlateNormal, OpenedAt: now}))
	require.NoError(t, tx.PutParking(&Parking{ID: "P1", MchID: "1", OutParkingNo: "IN-1", PlateNumber: "粤B888888", PlateColor: "BLUE", Start: now, State: ParkingNormal, Closed: ParkingDeducted, OutTradeNo: "PK-1"}))
	require.NoError(t, tx.PutParkingTransaction(&ParkingTransaction{
		MchID: "1", OutTradeNo: "PK-1", OpenID: "o", ParkingID: "P1", Total: 500, TradeState: TradeAccepted,
		AttemptsDue: []AttemptDue{{Due: s.DueIn(now, 5*time.Second), Why: "after acceptance"}},
		CreatedAt:   now, Events: []Event{{Seq: s.NextSeq(), At: now, Type: "state", Summary: "accepted"}},
	}))
	tx.Commit()
	return s
}

// encode writes a snapshot as a state file holds it (EncodeMembers).
func encode(t *testing.T, snap *Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteByte('{')
	require.NoError(t, snap.EncodeMembers(&b))
	b.WriteByte('}')
	require.True(t, json.Valid(b.Bytes()), b.String())
	return b.Bytes()
}

// decode reads a snapshot as ReadState does (DecodeMember).
func decode(t *testing.T, b []byte) *Snapshot {
	t.Helper()
	var snap Snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, DecodeObject(dec, func(key string) error {
		known, err := snap.DecodeMember(key, dec)
		require.True(t, known, key)
		return err
	}))
	return &snap
}

func TestSnapshot_RoundTrip(t *testing.T) {
	orig := filledStore(t)
	snap, err := orig.Snapshot()
	require.NoError(t, err)
	for _, tr := range snap.tables() {
		assert.Contains(t, string(encode(t, snap)), `"`+tr.name+`":[{`, "a row of %s", tr.name)
	}
	data := encode(t, snap)

	restored := New()
	require.NoError(t, restored.Restore(decode(t, data)))
	again, err := restored.Snapshot()
	require.NoError(t, err)
	assert.JSONEq(t, string(data), string(encode(t, again)), "restoring and saving again changes nothing")
	assert.Equal(t, snap.Seq+1, restored.NextSeq(), "the sequence continues from the saved one")

	m, err := restored.Read().Merchant("1")
	require.NoError(t, err)
	assert.True(t, m.PublicKey.Equal(&testKey.PublicKey))
	saved, err := orig.Read().Order(Account{MchID: "1"}, KindServiceOrder, "A")
	require.NoError(t, err)
	o, err := restored.Read().OrderByQueryID(Account{MchID: "1"}, KindServiceOrder, saved.QueryID())
	require.NoError(t, err, "secondary indexes are rebuilt")
	assert.Equal(t, Digest{0xff}, o.CreateDigest)
	assert.Contains(t, string(data), `"CreateDigest":"ff000000000000000000000000000000"`, "digests are hex")
}

func TestRestore_Refuses(t *testing.T) {
	valid := encode(t, must(filledStore(t).Snapshot()))
	tests := []struct {
		name string
		edit func(s *Snapshot)
		want string
	}{
		{"null row", func(s *Snapshot) { s.Users = append(s.Users, nil) }, "users[1]: null"},
		{"same id twice", func(s *Snapshot) { s.Refunds = append(s.Refunds, s.Refunds[0]) }, `refunds[1]: another row has the same id "1//R"`},
		{"same secondary unique key", func(s *Snapshot) {
			c := *s.Transactions[0]
			c.TransactionID = "4201"
			s.Transactions = append(s.Transactions, &c)
		}, `transactions[1]: another row has the same out_trade_no "1//T"`},
		{"a key part missing", func(s *Snapshot) { s.Notifications[0].ID = "" }, "notifications[0]: its key"},
		{"an order without its merchant", func(s *Snapshot) { s.Orders[0].MchID = "" }, `orders[0]: merchant "" is not in the state`},
		{"unknown order kind", func(s *Snapshot) { s.Orders[0].Kind = "other" }, `orders[0]: kind "other"`},
		{"payafter order without its part", func(s *Snapshot) { s.Orders[0].PayAfter = nil }, "orders[0]: a payafter-order without its PayAfter part"},
		{"merchant without appid", func(s *Snapshot) { s.Merchants[0].AppIDs = nil }, "merchants[0]: merchant 1 has no appid"},
		{"merchant key of garbage", func(s *Snapshot) { s.Merchants[0].PrivateKeyPEM = "garbage" }, "merchants[0]: merchant 1: private key: no PEM block found"},
		{"merchant certificate of garbage", func(s *Snapshot) { s.Merchants[0].CertificatePEM = "garbage" }, "merchants[0]: merchant 1: certificate:"},
		{"short APIv3 key", func(s *Snapshot) { s.Merchants[0].APIv3Key = "short" }, "merchants[0]: merchant 1: its APIv3 key is 5 bytes, not 32"},
		{"order in state BOGUS", func(s *Snapshot) { s.Orders[0].State = "BOGUS" }, `orders[0]: state "BOGUS" is not a state of a payafter-order`},
		{"negative total", func(s *Snapshot) { s.Orders[0].TotalAmount = -1 }, "orders[0]: a negative amount (total_amount -1"},
		{"negative post payment", func(s *Snapshot) {
			s.Orders[0].PostPayments = []PostPayment{{Name: "x", Amount: new(int64(-5))}}
		}, "orders[0]: post_payments[0]: a negative amount -5"},
		{"order of an unregistered merchant", func(s *Snapshot) { s.Orders[0].MchID = "999" }, `orders[0]: merchant "999" is not in the state`},
		{"authorization of an unregistered merchant", func(s *Snapshot) { s.Permissions[0].MchID = "999" }, `permissions[0]: merchant "999" is not in the state`},
		{"callback of an unregistered merchant", func(s *Snapshot) { s.Notifications[0].MchID = "999" }, `notifications[0]: merchant "999" is not in the state`},
		{"refund larger than its charge", func(s *Snapshot) { s.Refunds[0].Amount = s.Refunds[0].Total + 1 }, "refunds[0]: refund R: amount"},
		{"two open entries of one plate", func(s *Snapshot) {
			s.Parkings[0].Closed = ""
			c := *s.Parkings[0]
			c.ID, c.OutParkingNo = "P2", "IN-2"
			s.Parkings = append(s.Parkings, &c)
		}, `parkings[1]: another row has the same open "1/-/粤B888888/BLUE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := decode(t, valid)
			tt.edit(snap)
			s := New()
			err := s.Restore(snap)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			after, err := s.Snapshot()
			require.NoError(t, err)
			assert.Empty(t, after.Merchants, "a refused snapshot leaves the store empty")
		})
	}
	t.Run("a store that is not empty", func(t *testing.T) {
		err := filledStore(t).Restore(decode(t, valid))
		assert.ErrorContains(t, err, "is not empty")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestMerchantJSON_Refuses(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"no public key", `{"MchID":"1"}`, "public key"},
		{"not a key", `{"MchID":"1","PublicKey":"AAAA"}`, "public key"},
		{"unknown field", `{"MchID":"1","Colour":"red"}`, "Colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Merchant
			assert.ErrorContains(t, json.Unmarshal([]byte(tt.json), &m), tt.want)
		})
	}
	_, err := json.Marshal(&Merchant{MchID: "1"})
	assert.ErrorContains(t, err, "no public key")
}

func TestDigest_Text(t *testing.T) {
	var d Digest
	require.NoError(t, d.UnmarshalText([]byte("0102030405060708090a0b0c0d0e0f10")))
	assert.Equal(t, Digest{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, d)
	b, err := d.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "0102030405060708090a0b0c0d0e0f10", string(b))
	assert.Error(t, d.UnmarshalText([]byte("01")), "too short")
	assert.Error(t, d.UnmarshalText([]byte("zz02030405060708090a0b0c0d0e0f10")), "not hex")
}
