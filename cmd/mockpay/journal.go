package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockpay/mockpay/mock"
)

// journalSyncInterval is how often the journal is synced to disk: a power
// cut loses at most this much; a killed process loses nothing, since every
// record is written to the OS before its commit is answered.
const journalSyncInterval = time.Second

// journalPath is the journal of generation gen beside the state file path:
// the commits after the state that records gen was taken.
func journalPath(path string, gen uint64) string {
	return path + ".journal." + strconv.FormatUint(gen, 10)
}

// journalGens lists the generations of the journals beside path, oldest first.
func journalGens(path string) ([]uint64, error) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil, nil // as for removeTempFiles: opening the state reports why
	}
	prefix := filepath.Base(path) + ".journal."
	var gens []uint64
	for _, e := range entries {
		if suffix, ok := strings.CutPrefix(e.Name(), prefix); ok && !e.IsDir() {
			if gen, err := strconv.ParseUint(suffix, 10, 64); err == nil {
				gens = append(gens, gen)
			}
		}
	}
	slices.Sort(gens)
	return gens, nil
}

// replayJournals applies the journals that follow st (its generation and
// later) onto it, and removes the older ones a compaction left. Without a
// state (st nil: a first start, or the file was deleted to start over),
// journals left beside path are removed. A torn last record of the newest
// journal is dropped with a warning; anything else unreadable stops the
// start with one line naming the journal and the record.
func replayJournals(path string, st *mock.State, log *slog.Logger) error {
	gens, err := journalGens(path)
	if err != nil {
		return &configError{"MOCKPAY_STATE_FILE", err.Error()}
	}
	for i, gen := range gens {
		file := journalPath(path, gen)
		if st == nil || gen < st.JournalGen() {
			if err := os.Remove(file); err != nil {
				return &configError{"MOCKPAY_STATE_FILE", fmt.Sprintf("remove stale journal: %v", err)}
			}
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			return &configError{"MOCKPAY_STATE_FILE", err.Error()}
		}
		err = st.Replay(f)
		f.Close()
		switch {
		case errors.Is(err, mock.ErrTornRecord) && i == len(gens)-1:
			log.Warn("journal: the last record is torn (the process stopped while writing it) and is ignored", "file", file, "err", err)
		case err != nil:
			return &configError{"MOCKPAY_STATE_FILE", fmt.Sprintf("%s: %v", file, err)}
		}
	}
	return nil
}

// journal appends the server's commits (mock.Server.Journal) to the
// journal beside the state file, one generation at a time.
type journal struct {
	path string
	srv  *mock.Server
	log  *slog.Logger

	mu     sync.Mutex
	gen    uint64
	f      *os.File // nil until the first rotate
	dirty  bool     // written since the last sync
	failed bool     // a write failed: logged once until one succeeds
}

// append writes one record to the OS: before the commit it records is
// answered, so that a killed process loses none.
func (j *journal) append(rec []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(rec); err != nil {
		if !j.failed {
			j.log.Error("journal write failed: commits until the next save are not durable", "file", j.f.Name(), "err", err)
		}
		j.failed = true
		return
	}
	j.failed = false
	j.dirty = true
}

// rotate starts the next generation, after the newest on disk at the first
// call, and returns it: every commit from now on goes to it. The previous
// generation is synced and closed.
func (j *journal) rotate() (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	gen := j.gen + 1
	if j.f == nil {
		gens, _ := journalGens(j.path)
		if len(gens) > 0 {
			gen = gens[len(gens)-1] + 1
		}
	}
	f, err := os.OpenFile(journalPath(j.path, gen), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	if j.f == nil {
		j.srv.Journal(j.append)
	} else {
		if err := j.f.Sync(); err != nil {
			j.log.Error("journal sync failed", "file", j.f.Name(), "err", err)
		}
		j.f.Close()
	}
	j.f, j.gen, j.dirty = f, gen, true
	return gen, nil
}

// sync syncs what was written since the last sync.
func (j *journal) sync() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil || !j.dirty {
		return
	}
	if err := j.f.Sync(); err != nil {
		j.log.Error("journal sync failed", "file", j.f.Name(), "err", err)
		return
	}
	j.dirty = false
}

// removeBefore removes the generations older than gen, which a state that
// records gen made useless.
func (j *journal) removeBefore(gen uint64) {
	gens, _ := journalGens(j.path)
	for _, g := range gens {
		if g < gen {
			if err := os.Remove(journalPath(j.path, g)); err != nil {
				j.log.Error("journal: removing a compacted generation failed", "err", err)
			}
		}
	}
}

// close stops the journal: commits from now on are not journaled.
func (j *journal) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	j.srv.Journal(nil)
	j.f.Sync()
	j.f.Close()
	j.f = nil
}
