package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mockpay/mockpay/mock"
)

// stateSaveInterval is how often, in wall time, MOCKPAY_STATE_FILE is
// saved while the server runs, so that a crash loses at most this much.
const stateSaveInterval = 30 * time.Second

// readStateFile reads MOCKPAY_STATE_FILE. A file that does not exist is a
// first run: nil, and the server starts empty. Temporary files a save
// killed mid-way left beside it are removed first.
func readStateFile(path string) (*mock.State, error) {
	if err := removeTempFiles(path); err != nil {
		return nil, &configError{"MOCKPAY_STATE_FILE", err.Error()}
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &configError{"MOCKPAY_STATE_FILE", err.Error()}
	}
	defer f.Close()
	st, err := mock.ReadState(f)
	if err != nil {
		return nil, &configError{"MOCKPAY_STATE_FILE", fmt.Sprintf("%s: %v", path, err)}
	}
	return st, nil
}

// tempPrefix is how the temporary files of a save to path begin
// (os.CreateTemp adds a random suffix).
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// removeTempFiles removes what saves to path that never finished (a kill
// -9 mid-save) left in its directory: no one else writes those names.
func removeTempFiles(path string) error {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // a directory that cannot be listed holds no leftovers to remove; opening the file reports why
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), tempPrefix(path)) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove unfinished save: %w", err)
			}
		}
	}
	return nil
}

// writeStateFile saves to path atomically: into a temporary file in the
// same directory, synced, then renamed over path, so that a crash or a
// failed save mid-way leaves the previous file whole. The file holds the
// merchants' test private keys, so it is made readable by its owner only
// (os.CreateTemp creates it 0600).
func writeStateFile(path string, save func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := save(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	// The rename is durable once the directory is synced; not every
	// platform can sync a directory, and the file itself is whole anyway.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// stateSaver saves a server's state to MOCKPAY_STATE_FILE.
type stateSaver struct {
	path string
	srv  *mock.Server
	log  *slog.Logger
	j    *journal // started by the first save
}

// save compacts the journal into the state file: it starts the journal's
// next generation, then saves a state that records it, so that every
// commit is in the state or in that generation (one in both is applied
// twice, to the same effect), then removes the older generations.
func (sv *stateSaver) save() error {
	if sv.j == nil {
		sv.j = &journal{path: sv.path, srv: sv.srv, log: sv.log}
	}
	gen, err := sv.j.rotate()
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	err = writeStateFile(sv.path, func(w io.Writer) error { return sv.srv.SaveStateJournal(w, gen) })
	if err != nil {
		return err
	}
	sv.j.removeBefore(gen)
	return nil
}

// every saves at each tick until ctx ends. A failed save is logged and
// tried again at the next tick: the server keeps serving.
func (sv *stateSaver) every(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if err := sv.save(); err != nil {
				sv.log.Error("periodic save failed", "file", sv.path, "err", err)
			}
		}
	}
}

// startStateSaver saves the state once at start, which creates the file on
// a first run and proves it can be written before anything is at stake,
// then periodically until stop, which saves a last time. Without
// MOCKPAY_STATE_FILE, stop does nothing.
func startStateSaver(path string, srv *mock.Server, log *slog.Logger) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	sv := &stateSaver{path: path, srv: srv, log: log}
	if err := sv.save(); err != nil {
		return nil, &configError{"MOCKPAY_STATE_FILE", err.Error()}
	}
	log.Info("saving state", "file", path, "every", stateSaveInterval)
	ctx, cancel := context.WithCancel(context.Background())
	ticker := time.NewTicker(stateSaveInterval)
	syncs := time.NewTicker(journalSyncInterval)
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		sv.every(ctx, ticker.C)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case <-syncs.C:
				sv.j.sync()
			}
		}
	}()
	return func() error {
		cancel()
		ticker.Stop()
		syncs.Stop()
		<-done
		<-done
		err := sv.save()
		sv.j.close()
		if err != nil {
			return err
		}
		log.Info("state saved", "file", path)
		return nil
	}, nil
}
