package mock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// StateVersion is the layout of a saved state: the version SaveState
// writes and the only one ReadState reads. The tables are the store's rows
// as encoding/json writes them, so a change to a row type that a file of
// this version cannot be restored into needs a new version;
// TestReadState_Version1 restores a version 1 file to catch one.
const StateVersion = 1

// ErrInvalidState wraps every reason a saved state cannot be restored.
var ErrInvalidState = errors.New("invalid saved state")

// stateFile is a saved state: a header, then the tables.
type stateFile struct {
	stateHeader
	store.Snapshot
}

// stateHeader is the JSON of a saved state before its tables.
type stateHeader struct {
	Version int `json:"version"`
	// SavedAt is the wall time of the save, for people reading the file.
	SavedAt time.Time  `json:"saved_at"`
	Clock   stateClock `json:"clock"`
	// Journal is the generation of the journal that follows the state
	// (cmd/mockpay's MOCKPAY_STATE_FILE): its records, and those of later
	// generations, are the commits the state may lack. 0: none.
	Journal uint64 `json:"journal,omitempty"`
}

// stateClock is the domain clock when the state was saved.
type stateClock struct {
	Mode string    `json:"mode"`
	Now  time.Time `json:"now"`
}

// State is a saved server state: what SaveState wrote, as ReadState read
// it. Options.State restores it into a new server.
type State struct {
	file stateFile
}

// Now returns the domain time the state was saved at, where a virtual
// clock continues from.
func (st *State) Now() time.Time { return st.file.Clock.Now }

// ReadState reads a state SaveState wrote. It refuses anything else, a
// different StateVersion, and unknown fields, with an error wrapping
// ErrInvalidState; whether the rows fit together is checked when New
// restores them.
//
// The file is read as a stream, one member and one table row at a time:
// a state of 100,000 orders is over 100 MB of JSON, which is never held
// whole. SaveState writes the version first, so a file of another version
// is refused before its tables are read.
func ReadState(r io.Reader) (*State, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.DisallowUnknownFields()
	st := &State{}
	version, err := st.file.decode(dec)
	if err == nil && version == nil {
		return nil, fmt.Errorf("%w: no version: not a mockpay state", ErrInvalidState)
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, store.ErrNotObject) {
			return nil, fmt.Errorf("%w: not a mockpay state: %w", ErrInvalidState, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidState, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: not a mockpay state: more after the state's object", ErrInvalidState)
	}
	if st.file.Clock.Now.IsZero() {
		return nil, fmt.Errorf("%w: no clock.now", ErrInvalidState)
	}
	return st, nil
}

// decode reads a state file's object member by member: the header's
// members here, the tables' in the snapshot. It returns the version it
// read, nil for none; a version other than StateVersion stops it at once.
func (f *stateFile) decode(dec *json.Decoder) (version *int, err error) {
	err = store.DecodeObject(dec, func(key string) error {
		var dst any
		switch key {
		case "version":
			version = new(int)
			if err := dec.Decode(version); err != nil {
				return fmt.Errorf("version: %w", err)
			}
			if *version != StateVersion {
				return fmt.Errorf("version %d, this mockpay reads version %d", *version, StateVersion)
			}
			return nil
		case "saved_at":
			dst = &f.SavedAt
		case "clock":
			dst = &f.Clock
		case "journal":
			dst = &f.Journal
		default:
			known, err := f.Snapshot.DecodeMember(key, dec)
			if !known {
				return fmt.Errorf("json: unknown field %q", key)
			}
			return err
		}
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
	return version, err
}

// SaveState writes the server's state as JSON: the clock's domain time and
// every table (merchants with their keys, authorizations, orders,
// callbacks with their attempts, users and their wallets, charges,
// refunds, plates, parking entries and deductions), read in one transaction so that they are consistent. The work
// waiting on the clock is in the rows, which a restored server re-arms it
// from. Loaded scenarios and the request log are not saved.
//
// Merchants are saved with the private keys mockpay holds for them: a
// state is a local test artifact with test keys only, and a file holding
// one should be readable by its owner only.
func (s *Server) SaveState(w io.Writer) error { return s.SaveStateJournal(w, 0) }

// SaveStateJournal is SaveState for a state followed by a journal: the
// state records that journal generation gen, whose records a restart
// replays onto it (State.Replay), follows it. Start gen before calling
// SaveStateJournal, so that every commit is in the state or in gen.
func (s *Server) SaveStateJournal(w io.Writer, gen uint64) error {
	snap, err := s.store.Snapshot()
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	// The header, then the tables row by row (Snapshot.EncodeMembers): a
	// large state is written as a stream, never built whole in memory.
	head, err := json.Marshal(stateHeader{
		Version: StateVersion,
		SavedAt: time.Now(),
		// Read after the snapshot, so that no row is later than the clock
		// the state restores: work that fell due meanwhile runs at once.
		Clock:   stateClock{Mode: s.clockMode(), Now: s.clock.Now()},
		Journal: gen,
	})
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:len(head)-1]) // without its closing }; bufio keeps the first error
	bw.WriteByte(',')
	if err := snap.EncodeMembers(bw); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// restore loads a saved state into the new server's empty store. A virtual
// clock behind the saved domain time is moved up to it, so that time never
// runs backwards for the rows; a clock ahead of it leaves the work that
// fell due in between to run at once when resume arms it.
func (s *Server) restore(st *State) error {
	if err := s.store.Restore(&st.file.Snapshot); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidState, err)
	}
	saved := st.Now()
	if v, ok := s.clock.(*clock.Virtual); ok && v.Now().Before(saved) {
		if _, err := v.AdvanceTo(saved); err != nil {
			return fmt.Errorf("restore state: %w", err)
		}
	} else if now := s.clock.Now(); now.Before(saved) {
		s.log.Warn("the restored state is from a later domain time than the clock's", "saved", saved, "now", now)
	}
	snap := &st.file.Snapshot
	s.log.Info("state restored", "saved_at", st.file.SavedAt, "clock", st.file.Clock.Mode, "domain_time", saved,
		"merchants", len(snap.Merchants), "orders", len(snap.Orders), "notifications", len(snap.Notifications), "refunds", len(snap.Refunds),
		"parking_transactions", len(snap.ParkingTransactions))
	return nil
}

// resume arms the timers the restored rows wait for: order expiry and
// deductions, callback attempts, refunds, parking deductions and
// repayments. They are gathered from every
// domain before any is armed, so that a state some domain refuses arms
// nothing, and so that work due at the same instant keeps its order.
func (s *Server) resume() error {
	tx := s.store.Read()
	var jobs []clock.Job
	for _, resume := range []func(store.ReadTxn) ([]clock.Job, error){s.payscore.Resume, s.notifier.Resume, s.refunds.Resume, s.parking.Resume} {
		js, err := resume(tx)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidState, err)
		}
		jobs = append(jobs, js...)
	}
	clock.ScheduleAll(s.clock, jobs)
	return nil
}

// Journal makes the server hand f one journal record per commit from
// now on: a line of JSON, newline included, holding the commit's changed
// rows, which State.Replay applies. f runs on the committing
// goroutine, in commit order, before the change is answered to anyone, and
// holds the next commit back until it returns. Nil stops the journal.
func (s *Server) Journal(f func(record []byte)) {
	if f == nil {
		s.journal.Store(nil)
		return
	}
	s.journal.Store(&f)
}

// journalRecord is one line of a journal: the changes of one commit, the
// store's sequence counter after it, and the domain time.
type journalRecord struct {
	Seq     uint64                `json:"seq"`
	Now     time.Time             `json:"now"`
	Changes []store.JournalChange `json:"changes"`
}

// journalChanges is the store observer that feeds Journal.
func (s *Server) journalChanges(changes []store.Change) {
	f := s.journal.Load()
	if f == nil {
		return
	}
	jc, err := store.JournalChanges(changes)
	if err == nil {
		var rec []byte
		rec, err = json.Marshal(journalRecord{Seq: s.store.Seq(), Now: s.clock.Now(), Changes: jc})
		if err == nil {
			(*f)(append(rec, '\n'))
			return
		}
	}
	s.log.Error("journal: a commit cannot be encoded", "err", err)
}

// JournalGen returns the generation of the journal that follows the state
// (SaveStateJournal); 0 for a state saved without one.
func (st *State) JournalGen() uint64 { return st.file.Journal }

// ErrTornRecord is what Replay returns for a journal whose last record is
// incomplete (a crash cut it while it was written): the records before it
// are applied.
var ErrTornRecord = errors.New("torn last record")

// Replay applies a journal's records (Journal), in order, onto the state,
// before Options.State restores it: the restored rows are checked, and
// their timers re-armed, like every other row of the state. The state's
// domain time moves up to the latest record's. A last record without its
// newline or that is not JSON is not applied and Replay returns
// ErrTornRecord (wrapped, naming the record); any other record that cannot
// be applied stops it with an error wrapping ErrInvalidState and naming the
// record (counted from 1).
func (st *State) Replay(r io.Reader) error {
	rp := st.file.Snapshot.Replayer()
	defer rp.Done()
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			if len(line) == 0 {
				return nil
			}
			return fmt.Errorf("record %d: %w (no newline)", n, ErrTornRecord)
		}
		if err != nil {
			return fmt.Errorf("record %d: %w", n, err)
		}
		rec, err := decodeRecord(line, rp)
		if err != nil {
			var se *json.SyntaxError
			if _, peek := br.Peek(1); peek == io.EOF && (errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
				return fmt.Errorf("record %d: %w (%v)", n, ErrTornRecord, err)
			}
			return fmt.Errorf("%w: record %d: %w", ErrInvalidState, n, err)
		}
		if err := rp.Apply(rec.seq, rec.changes); err != nil {
			return fmt.Errorf("%w: record %d: %w", ErrInvalidState, n, err)
		}
		if rec.now.After(st.file.Clock.Now) {
			st.file.Clock.Now = rec.now
		}
	}
}

// replayRecord is a journalRecord as Replay reads it: its rows decoded.
type replayRecord struct {
	seq     uint64
	now     time.Time
	changes []store.ReplayChange
}

// decodeRecord decodes one journal line, each changed row straight into
// its table's type, as the line is read.
func decodeRecord(line []byte, rp *store.Replayer) (replayRecord, error) {
	var rec replayRecord
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	err := store.DecodeObject(dec, func(key string) (err error) {
		switch key {
		case "seq":
			return dec.Decode(&rec.seq)
		case "now":
			return dec.Decode(&rec.now)
		case "changes":
			rec.changes, err = rp.DecodeChanges(dec)
			return err
		}
		return fmt.Errorf("json: unknown field %q", key)
	})
	return rec, err
}
