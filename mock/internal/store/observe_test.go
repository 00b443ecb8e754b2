package store

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen records what an observer was handed, as short strings.
type seen struct {
	mu  sync.Mutex
	got []string
}

func (s *seen) observe(changes []Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range changes {
		s.got = append(s.got, describe(c))
	}
}

func (s *seen) add(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, line)
}

func (s *seen) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func describe(c Change) string {
	name := func(row any) string {
		switch r := row.(type) {
		case nil:
			return "-"
		case *Order:
			return "order " + r.OutOrderNo + " " + string(r.State)
		case *User:
			return "user " + r.OpenID
		}
		return fmt.Sprintf("%T", row)
	}
	return name(c.Before) + " => " + name(c.After)
}

func TestObserve_Changes(t *testing.T) {
	tests := []struct {
		name  string
		write func(tx WriteTxn) error
		abort bool
		want  []string
	}{
		{"insert", func(tx WriteTxn) error {
			return tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "B", State: "CREATED"})
		}, false, []string{"- => order B CREATED"}},
		{"replace", func(tx WriteTxn) error {
			return tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "DOING"})
		}, false, []string{"order A CREATED => order A DOING"}},
		{"two changes to one row are one change", func(tx WriteTxn) error {
			if err := tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "DOING"}); err != nil {
				return err
			}
			return tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "DONE"})
		}, false, []string{"order A CREATED => order A DONE"}},
		{"rows of two tables, in the order written", func(tx WriteTxn) error {
			if err := tx.PutUser(&User{OpenID: "o1"}); err != nil {
				return err
			}
			return tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "DOING"})
		}, false, []string{"- => user o1", "order A CREATED => order A DOING"}},
		{"delete", func(tx WriteTxn) error { return tx.Reset() }, false, []string{"order A CREATED => -"}},
		{"aborted: nothing", func(tx WriteTxn) error {
			return tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "DOING"})
		}, true, nil},
		{"no change: nothing", func(WriteTxn) error { return nil }, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			var obs seen
			s.Observe(obs.observe)
			tx := s.Write()
			require.NoError(t, tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "CREATED"}))
			tx.Commit()
			obs.got = nil

			tx = s.Write()
			defer tx.Abort()
			require.NoError(t, tt.write(tx))
			if tt.abort {
				tx.Abort()
			} else {
				tx.Commit()
			}
			assert.Equal(t, tt.want, obs.list())
		})
	}
}

// The observer sees a commit's changes after they are visible and before
// the work the transaction deferred, which may commit changes of its own.
func TestObserve_BeforeDeferredWork(t *testing.T) {
	s := New()
	var obs seen
	s.Observe(func(changes []Change) {
		_, err := s.Read().Order(Account{MchID: "1"}, KindServiceOrder, "A")
		obs.add(fmt.Sprintf("visible: %v", err == nil))
		obs.observe(changes)
	})
	tx := s.Write()
	require.NoError(t, tx.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "CREATED"}))
	tx.Defer(func() {
		obs.add("deferred")
		next := s.Write()
		defer next.Abort()
		require.NoError(t, next.PutOrder(&Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A", State: "DOING"}))
		next.Commit()
	})
	tx.Commit()
	assert.Equal(t, []string{
		"visible: true", "- => order A CREATED",
		"deferred",
		"visible: true", "order A CREATED => order A DOING",
	}, obs.list())
}

// Concurrent writers' changes reach the observer in commit order: each
// writer increments a counter row, and the observer sees 1, 2, 3, ...
func TestObserve_CommitOrder(t *testing.T) {
	s := New()
	var mu sync.Mutex
	var counts []int
	s.Observe(func(changes []Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range changes {
			counts = append(counts, len(c.After.(*Order).Events))
		}
	})
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				tx := s.Write()
				o, err := tx.Order(Account{MchID: "1"}, KindServiceOrder, "A")
				next := &Order{Kind: KindServiceOrder, MchID: "1", OutOrderNo: "A"}
				if err == nil {
					next.Events = append(append([]Event(nil), o.Events...), Event{})
				} else {
					next.Events = []Event{{}}
				}
				assert.NoError(t, tx.PutOrder(next))
				tx.Commit()
			}
		})
	}
	wg.Wait()
	require.Len(t, counts, writers*each)
	for i, n := range counts {
		require.Equal(t, i+1, n, "change %d", i)
	}
}
