package mock_test

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// journaled runs a server whose state is saved first, then journaled:
// two merchants are created and the first deleted. It returns the state,
// the journal's records and the mchid that remains.
func journaled(t *testing.T) (state []byte, records [][]byte, kept string) {
	t.Helper()
	srv, err := mock.New(mock.Options{Merchants: []mock.MerchantSpec{}})
	require.NoError(t, err)
	defer srv.Close()
	var mu sync.Mutex
	srv.Journal(func(rec []byte) {
		mu.Lock()
		defer mu.Unlock()
		records = append(records, slices.Clone(rec))
	})
	var buf bytes.Buffer
	require.NoError(t, srv.SaveStateJournal(&buf, 1))
	gone, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	require.NoError(t, srv.DeleteMerchant(gone.MchID))
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(records), 3)
	return buf.Bytes(), records, m.MchID
}

// restored reads state, replays journal onto it and starts a server on it.
func restored(t *testing.T, state, journal []byte) (*mock.Server, error) {
	t.Helper()
	st, err := mock.ReadState(bytes.NewReader(state))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), st.JournalGen())
	replayErr := st.Replay(bytes.NewReader(journal))
	srv, err := mock.New(mock.Options{Merchants: []mock.MerchantSpec{}, State: st})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv, replayErr
}

func mchids(t *testing.T, srv *mock.Server) []string {
	t.Helper()
	ms, err := srv.Merchants()
	require.NoError(t, err)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.MchID)
	}
	return ids
}

// TestJournal_Replay: a state plus its journal restore every commit,
// deletions included; a torn last record is dropped and reported as such;
// a bad record before the last refuses the journal, naming the record.
func TestJournal_Replay(t *testing.T) {
	state, records, kept := journaled(t)
	journal := bytes.Join(records, nil)

	t.Run("whole", func(t *testing.T) {
		srv, err := restored(t, state, journal)
		require.NoError(t, err)
		assert.Equal(t, []string{kept}, mchids(t, srv))
	})
	t.Run("twice", func(t *testing.T) {
		// A journal that began before its state was taken applies again
		// to the same effect.
		srv, err := restored(t, state, append(slices.Clone(journal), journal...))
		require.NoError(t, err)
		assert.Equal(t, []string{kept}, mchids(t, srv))
	})
	for name, tail := range map[string]string{"no newline": `{"seq":9,"now":"2027-`, "not JSON": "{\"seq\":9,\n"} {
		t.Run("torn last record, "+name, func(t *testing.T) {
			srv, err := restored(t, state, append(slices.Clone(journal), tail...))
			require.ErrorIs(t, err, mock.ErrTornRecord)
			assert.Contains(t, err.Error(), "record 4")
			assert.Equal(t, []string{kept}, mchids(t, srv), "the records before it are applied")
		})
	}
	t.Run("bad record in the middle", func(t *testing.T) {
		bad := bytes.Join([][]byte{records[0], []byte("{\"seq\":9,\n"), journal[len(records[0]):]}, nil)
		st, err := mock.ReadState(bytes.NewReader(state))
		require.NoError(t, err)
		err = st.Replay(bytes.NewReader(bad))
		require.ErrorIs(t, err, mock.ErrInvalidState)
		assert.False(t, errors.Is(err, mock.ErrTornRecord))
		assert.Contains(t, err.Error(), "record 2")
	})
	for _, bad := range []struct{ name, change, want string }{
		{"unknown table", `{"table":"nope","row":{}}`, `change 0: no table "nope"`},
		{"a row of the wrong shape", `{"table":"users","row":{"OpenID":7}}`, "change 0: users: json: cannot unmarshal number"},
		{"an unknown field in a row", `{"table":"users","row":{"Colour":"red"}}`, `change 0: users: json: unknown field "Colour"`},
		{"a null row", `{"table":"users","row":null}`, "change 0: users: null row"},
		{"neither a row nor a key", `{"table":"users"}`, "change 0: users: neither a row nor a deletion"},
		{"a row and a key", `{"table":"users","row":{"OpenID":"o"},"key":"o\u0000"}`, "change 0: users: neither a row nor a deletion"},
		{"a row before its table", `{"row":{},"table":"users"}`, "change 0: a row before its table"},
		{"an unknown field in a change", `{"table":"users","colour":1}`, `change 0: json: unknown field "colour"`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			st, err := mock.ReadState(bytes.NewReader(state))
			require.NoError(t, err)
			rec := `{"seq":9,"now":"2027-01-01T00:00:00Z","changes":[` + bad.change + `]}` + "\n"
			err = st.Replay(bytes.NewReader(append([]byte(rec), journal...)))
			require.ErrorIs(t, err, mock.ErrInvalidState)
			assert.False(t, errors.Is(err, mock.ErrTornRecord))
			assert.Contains(t, err.Error(), "record 1: "+bad.want)
		})
	}
}
