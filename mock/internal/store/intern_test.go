package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Orders put from separate requests share one copy of the strings they
// repeat, and keep their values.
func TestPutOrder_InternsRepeatedStrings(t *testing.T) {
	s := New()
	fresh := func(v string) string { return strings.Clone(v) } // as each request's JSON decodes it
	var put []*Order
	for i := range 2 {
		o := &Order{
			Seq: uint64(i + 1), Kind: KindServiceOrder, MchID: "1230000109", OutOrderNo: "A" + strconv.Itoa(i),
			AppID: fresh("wxd678efh567hg6787"), NotifyURL: fresh("https://merchant.example.com/notify"),
			RiskFund:     RiskFund{Name: fresh("ESTIMATE_ORDER_COST")},
			PostPayments: []PostPayment{{Name: fresh("里程费"), Description: fresh("按里程计费")}},
			Location:     &Location{StartLocation: fresh("北京南站")},
		}
		tx := s.Write()
		require.NoError(t, tx.PutOrder(o))
		tx.Commit()
		got, err := s.Read().Order(Account{MchID: "1230000109"}, KindServiceOrder, o.OutOrderNo)
		require.NoError(t, err)
		put = append(put, got)
	}
	a, b := put[0], put[1]
	for _, pair := range [][2]string{
		{a.AppID, b.AppID}, {a.NotifyURL, b.NotifyURL}, {a.RiskFund.Name, b.RiskFund.Name},
		{a.PostPayments[0].Name, b.PostPayments[0].Name}, {a.PostPayments[0].Description, b.PostPayments[0].Description},
		{a.Location.StartLocation, b.Location.StartLocation},
	} {
		assert.Equal(t, pair[0], pair[1])
		assert.Same(t, unsafe.StringData(pair[0]), unsafe.StringData(pair[1]), "%q is held once", pair[0])
	}
	assert.Equal(t, "按里程计费", b.PostPayments[0].Description)
}

// An interner holds at most internMax strings.
func TestInterner_Bounded(t *testing.T) {
	var in interner
	for i := range internMax + 10 {
		assert.Equal(t, strconv.Itoa(i), in.of(strconv.Itoa(i)))
	}
	assert.LessOrEqual(t, len(in.m), internMax)
	assert.Equal(t, "", in.of(""))
}

// Orders read from a saved state, and from its journal, share one copy of
// the strings they repeat too.
func TestSnapshot_DecodeInterns(t *testing.T) {
	order := func(no string) string {
		return `{"Seq":` + no + `,"Kind":"serviceorder","MchID":"1","OutOrderNo":"A` + no + `","AppID":"wxd678efh567hg6787","NotifyURL":"https://merchant.example.com/notify"}`
	}
	var snap Snapshot
	dec := json.NewDecoder(strings.NewReader(`[` + order("1") + `,` + order("2") + `]`))
	known, err := snap.DecodeMember("orders", dec)
	require.True(t, known)
	require.NoError(t, err)
	rp := snap.Replayer()
	changes, err := rp.DecodeChanges(json.NewDecoder(strings.NewReader(`[{"table":"orders","row":` + order("3") + `}]`)))
	require.NoError(t, err)
	require.NoError(t, rp.Apply(3, changes))
	rp.Done()
	require.Len(t, snap.Orders, 3)
	for _, o := range snap.Orders[1:] {
		assert.Same(t, unsafe.StringData(snap.Orders[0].AppID), unsafe.StringData(o.AppID), o.OutOrderNo)
		assert.Same(t, unsafe.StringData(snap.Orders[0].NotifyURL), unsafe.StringData(o.NotifyURL), o.OutOrderNo)
	}
}
