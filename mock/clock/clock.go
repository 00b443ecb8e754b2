// Package clock is the single source of domain time in mockpay: order and
// payment times, expiry, deduction delays, callback retry schedules and
// scenario delays all read it and schedule on it.
//
// Transport time (request timestamps, Wechatpay-Timestamp) never goes through
// this package: clients sign and verify with their own wall clocks, so moving
// the domain clock must not break a signature.
//
// Three modes exist. Real follows the wall clock. Real with a scale above 1
// still reads the wall clock but runs every delay that many times faster, so
// a developer sees a 30-minute callback retry after seconds while the times
// their own code sends keep matching the mock's. Virtual moves only when
// advanced; an advance returns after everything that fell due has run.
//
// A virtual clock ticks in whole milliseconds (Resolution), the precision
// the sandbox shows times with, so that the times it shows are the times
// it holds: advancing by a pending event's "at" minus "now" reaches that
// event exactly.
package clock

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Clock tells domain time and runs work after a delay of domain time.
type Clock interface {
	// Now returns the current domain time.
	Now() time.Time
	// AfterFunc runs f on its own goroutine once d of domain time has
	// passed; d <= 0 runs it at once. label says what f does, for
	// /sandbox/clock and the list of what an advance fired.
	AfterFunc(d time.Duration, label string, f func()) Timer
	// Arm schedules j at j.At, at once if that has passed, unless work of
	// j.Owner was cancelled after j.Epoch (Cancel): then it returns a
	// stopped timer and j never runs.
	Arm(j Job) Timer
	// Go runs f on its own goroutine as part of the work due now: the slow
	// part of it, such as a callback's HTTP round trip, which other work
	// need not wait for. A virtual clock lets other work run meanwhile, at
	// this instant and at later ones short of the earliest Hold, and an
	// advance returns only once f has returned.
	Go(f func())
	// Hold marks work in flight that may arm work due at horizon or later,
	// such as a callback delivery whose failure schedules its retry: a
	// virtual clock does not move to horizon, or past it, until release is
	// called, so that what the work arms is in place when its time comes.
	// Release may be called more than once.
	Hold(horizon time.Time) (release func())
	// Pending lists the work scheduled and not yet run, earliest first.
	Pending() []Event
	// Cancel takes off the clock the pending work of owner ("" for every
	// owner's), and refuses work of owner armed later that was decided
	// before this call (Job.Epoch). It returns how many jobs it took off.
	// Work already running runs on; work with no Owner is never cancelled.
	Cancel(owner string) int
	// Epoch is the count of Cancel calls so far, for Job.Epoch.
	Epoch() uint64
	// Stop cancels all pending work; later AfterFunc calls are ignored.
	// Used when the server shuts down.
	Stop()
}

// Timer is scheduled work.
type Timer interface {
	// Stop cancels the work if it has not started; it reports whether it did.
	Stop() bool
}

// Event describes scheduled or fired work.
type Event struct {
	At    time.Time
	Label string
}

// Job is work due at a domain time rather than after a delay: how the
// domain arms timers whose due time its rows record, so that a server
// restored from a saved state arms them again the same way.
type Job struct {
	At    time.Time
	Seq   uint64 // orders jobs due at the same instant, lowest first
	Label string
	Run   func()
	// Armed, when set, is handed the job's timer once it is scheduled, so
	// that its owner can cancel work that is no longer wanted. A job run
	// at once because it is overdue (ScheduleAll) has no timer to hand.
	Armed func(Timer)
	// Owner is whose work it is (a merchant's mchid), for Cancel: a
	// sandbox reset or a merchant's removal takes its work off the clock.
	Owner string
	// Epoch is Clock.Epoch when the work was decided. The work is armed
	// only after the transaction that decided it commits (Later), and a
	// Cancel of its owner in between must still stop it.
	Epoch uint64
}

// Schedule runs j on c at j.At: after the delay left, or at once if j.At
// has passed.
func Schedule(c Clock, j Job) Timer {
	t := c.Arm(j)
	if j.Armed != nil {
		j.Armed(t)
	}
	return t
}

// Deferrer runs work once a transaction has committed (store.WriteTxn).
type Deferrer interface {
	Defer(f func())
}

// Later schedules j on c once tx commits. It is called inside tx, so j's
// epoch is now: a Cancel that takes its owner's work off the clock after
// tx committed, but before j is armed, still stops it.
func Later(tx Deferrer, c Clock, j Job) {
	j.Epoch = c.Epoch()
	tx.Defer(func() { Schedule(c, j) })
}

// cancels remembers when each owner's work was last cancelled, so that
// work decided before a Cancel and armed after it is refused. Its clock's
// lock guards it.
type cancels struct {
	epoch  uint64            // Cancel calls so far
	all    uint64            // epoch of the latest Cancel of every owner
	owners map[string]uint64 // epoch of the latest Cancel of one owner, since all
}

// cancelled reports whether work of owner decided at epoch was cancelled since.
func (c *cancels) cancelled(owner string, epoch uint64) bool {
	return owner != "" && (epoch < c.all || epoch < c.owners[owner])
}

// record notes a Cancel of owner ("" for every owner).
func (c *cancels) record(owner string) {
	c.epoch++
	if owner == "" {
		c.all = c.epoch
		clear(c.owners) // all covers them: the map holds only owners cancelled since
		return
	}
	if c.owners == nil {
		c.owners = make(map[string]uint64)
	}
	c.owners[owner] = c.epoch
}

// selects reports whether a Cancel of owner ("" for every owner) takes
// work of jobOwner; work with no owner is never cancelled.
func selects(owner, jobOwner string) bool {
	return jobOwner != "" && (owner == "" || owner == jobOwner)
}

// ScheduleAll schedules jobs in due order, ties by Seq, so that a virtual
// clock runs those due at the same instant in that order too. Jobs already
// due run at once, one after another in the same order, as an advance
// would have run them; the later ones are scheduled as usual.
func ScheduleAll(c Clock, jobs []Job) {
	jobs = slices.Clone(jobs)
	slices.SortStableFunc(jobs, func(a, b Job) int {
		if n := a.At.Compare(b.At); n != 0 {
			return n
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	now := c.Now()
	n := 0
	for n < len(jobs) && !jobs[n].At.After(now) {
		n++
	}
	if overdue := jobs[:n]; n > 0 {
		label := overdue[0].Label
		if n > 1 {
			label = fmt.Sprintf("%s and %d more jobs overdue", label, n-1)
		}
		c.AfterFunc(0, label, func() {
			for _, j := range overdue {
				j.Run()
			}
		})
	}
	for _, j := range jobs[n:] {
		Schedule(c, j)
	}
}

// Mode names, as in MOCKPAY_CLOCK.
const (
	ModeReal    = "real"
	ModeVirtual = "virtual"
)

// Real is wall-clock time, with delays divided by a scale factor.
type Real struct {
	scale float64

	mu      sync.Mutex
	stopped bool
	pending map[*realTimer]struct{}
	cancels cancels
}

// NewReal returns a wall clock whose delays run scale times faster. A scale
// of 1 is plain real time; scale must be positive.
func NewReal(scale float64) (*Real, error) {
	if !(scale > 0) {
		return nil, fmt.Errorf("clock: time scale %v must be positive", scale)
	}
	return &Real{scale: scale, pending: make(map[*realTimer]struct{})}, nil
}

// Now returns the wall-clock time.
func (c *Real) Now() time.Time { return time.Now() }

// Scale returns the delay divisor.
func (c *Real) Scale() float64 { return c.scale }

type realTimer struct {
	clock *Real
	ev    Event
	owner string
	t     *time.Timer
}

// AfterFunc runs f after d/scale of wall time.
func (c *Real) AfterFunc(d time.Duration, label string, f func()) Timer {
	return c.Arm(Job{At: time.Now().Add(d), Label: label, Run: f})
}

// Arm runs j.Run once the wall clock reaches j.At, the delay divided by
// the scale.
func (c *Real) Arm(j Job) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	rt := &realTimer{clock: c, ev: Event{At: j.At, Label: j.Label}, owner: j.Owner}
	if c.stopped || c.cancels.cancelled(j.Owner, j.Epoch) {
		return rt
	}
	c.pending[rt] = struct{}{}
	f := j.Run
	rt.t = time.AfterFunc(time.Duration(float64(time.Until(j.At))/c.scale), func() {
		c.mu.Lock()
		_, live := c.pending[rt]
		delete(c.pending, rt)
		c.mu.Unlock()
		if live {
			f()
		}
	})
	return rt
}

func (rt *realTimer) Stop() bool {
	c := rt.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[rt]; !ok {
		return false
	}
	delete(c.pending, rt)
	rt.t.Stop()
	return true
}

// Go runs f on its own goroutine.
func (c *Real) Go(f func()) { go f() }

// Hold does nothing: real time does not wait.
func (c *Real) Hold(time.Time) func() { return func() {} }

// Cancel stops the pending work of owner ("" for every owner).
func (c *Real) Cancel(owner string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancels.record(owner)
	n := 0
	for rt := range c.pending {
		if selects(owner, rt.owner) {
			rt.t.Stop()
			delete(c.pending, rt)
			n++
		}
	}
	return n
}

// Epoch is the count of Cancel calls.
func (c *Real) Epoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancels.epoch
}

// Pending lists scheduled work, earliest first.
func (c *Real) Pending() []Event {
	c.mu.Lock()
	out := make([]Event, 0, len(c.pending))
	for rt := range c.pending {
		out = append(out, rt.ev)
	}
	c.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Stop cancels everything scheduled.
func (c *Real) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for rt := range c.pending {
		rt.t.Stop()
	}
	clear(c.pending)
}

// Resolution is the tick of a virtual clock. It starts at a whole
// millisecond, and the due time of work and the target of an advance are
// rounded up to one: work never runs early, and an advance never stops
// short of where it was asked to go.
const Resolution = time.Millisecond

// ceilTick rounds t up to a whole Resolution.
func ceilTick(t time.Time) time.Time {
	if r := t.Truncate(Resolution); r.Before(t) {
		return r.Add(Resolution)
	}
	return t
}

// Virtual is a clock that moves only when advanced. Work due at once
// (AfterFunc with d <= 0) starts immediately on its own goroutine; work due
// later runs during the Advance that reaches it, in due order (ties in the
// order scheduled), one at a time, outside the clock's lock, so it may
// schedule more work. Work must not call Advance itself. It ticks in
// Resolution steps.
type Virtual struct {
	advancing sync.Mutex // one Advance at a time

	mu      sync.Mutex
	idle    *sync.Cond // signalled when running or flying drops to zero, and on a Hold's release
	now     time.Time
	seq     uint64
	timers  timerHeap
	running int // work started at once and not yet finished
	flying  int // work handed to Go and not yet finished
	// holds counts the work in flight by the earliest domain time (Unix
	// ns) of the work it may arm (Hold).
	holds   map[int64]int
	stopped bool
	cancels cancels
}

// NewVirtual returns a virtual clock that reads start, truncated to a whole
// Resolution, until advanced.
func NewVirtual(start time.Time) *Virtual {
	v := &Virtual{now: start.Truncate(Resolution), holds: map[int64]int{}}
	v.idle = sync.NewCond(&v.mu)
	return v
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

type virtualTimer struct {
	clock  *Virtual
	ev     Event
	owner  string
	jobSeq uint64 // Job.Seq: orders work due at the same instant
	seq    uint64 // the order it was armed in, for work with the same Job.Seq
	f      func()
	index  int // in the heap; -1 once removed
}

// AfterFunc schedules f at now+d, rounded up to a whole Resolution.
func (v *Virtual) AfterFunc(d time.Duration, label string, f func()) Timer {
	v.mu.Lock()
	at := v.now.Add(d)
	v.mu.Unlock()
	return v.Arm(Job{At: at, Label: label, Run: f})
}

// Arm schedules j.Run at j.At, rounded up to a whole Resolution; work due
// now or before starts at once.
func (v *Virtual) Arm(j Job) Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	d := j.At.Sub(v.now)
	f := j.Run
	vt := &virtualTimer{clock: v, ev: Event{At: ceilTick(v.now.Add(d)), Label: j.Label}, owner: j.Owner, jobSeq: j.Seq, seq: v.seq, f: f, index: -1}
	v.seq++
	if v.stopped || v.cancels.cancelled(j.Owner, j.Epoch) {
		return vt
	}
	if d <= 0 {
		v.running++
		go func() {
			defer v.done()
			f()
		}()
		return vt
	}
	heap.Push(&v.timers, vt)
	return vt
}

func (v *Virtual) done() {
	v.mu.Lock()
	v.running--
	if v.running == 0 {
		v.idle.Broadcast()
	}
	v.mu.Unlock()
}

// Go runs f on its own goroutine; an advance runs other work meanwhile, up
// to the earliest Hold, and returns once f has returned.
func (v *Virtual) Go(f func()) {
	v.mu.Lock()
	v.flying++
	v.mu.Unlock()
	go func() {
		defer func() {
			v.mu.Lock()
			v.flying--
			if v.flying == 0 {
				v.idle.Broadcast()
			}
			v.mu.Unlock()
		}()
		f()
	}()
}

// Hold keeps the clock short of horizon until release is called.
func (v *Virtual) Hold(horizon time.Time) (release func()) {
	k := horizon.UnixNano()
	v.mu.Lock()
	v.holds[k]++
	v.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			v.mu.Lock()
			defer v.mu.Unlock()
			if v.holds[k]--; v.holds[k] == 0 {
				delete(v.holds, k)
			}
			v.idle.Broadcast()
		})
	}
}

// heldBy reports whether work in flight may arm work due at t or before.
// Called with v.mu held.
func (v *Virtual) heldBy(t time.Time) bool {
	k := t.UnixNano()
	for h := range v.holds {
		if h <= k {
			return true
		}
	}
	return false
}

// Cancel takes the pending work of owner ("" for every owner) off the clock.
func (v *Virtual) Cancel(owner string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cancels.record(owner)
	kept := v.timers[:0]
	n := 0
	for _, vt := range v.timers {
		if selects(owner, vt.owner) {
			vt.index = -1
			n++
			continue
		}
		kept = append(kept, vt)
	}
	clear(v.timers[len(kept):])
	v.timers = kept
	for i, vt := range v.timers {
		vt.index = i
	}
	heap.Init(&v.timers)
	return n
}

// Epoch is the count of Cancel calls.
func (v *Virtual) Epoch() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cancels.epoch
}

func (vt *virtualTimer) Stop() bool {
	v := vt.clock
	v.mu.Lock()
	defer v.mu.Unlock()
	if vt.index < 0 {
		return false
	}
	heap.Remove(&v.timers, vt.index)
	return true
}

// ErrBackwards is returned when asked to move a virtual clock into its past.
var ErrBackwards = errors.New("clock: cannot move a virtual clock backwards")

// Advance moves the clock forward by d (the target rounded up to a whole
// Resolution), running everything that falls due on the way, and returns
// what ran. It returns after the work it ran, and any work that work
// started at once, has finished.
func (v *Virtual) Advance(d time.Duration) ([]Event, error) {
	if d < 0 {
		return nil, ErrBackwards
	}
	v.advancing.Lock()
	defer v.advancing.Unlock()
	v.mu.Lock()
	target := v.now.Add(d)
	v.mu.Unlock()
	return v.advanceTo(ceilTick(target)), nil
}

// AdvanceTo moves the clock forward to t; see Advance.
func (v *Virtual) AdvanceTo(t time.Time) ([]Event, error) {
	v.advancing.Lock()
	defer v.advancing.Unlock()
	if t.Before(v.Now()) {
		return nil, ErrBackwards
	}
	return v.advanceTo(ceilTick(t)), nil
}

func (v *Virtual) advanceTo(target time.Time) []Event {
	fired := []Event{}
	for {
		v.mu.Lock()
		for v.running > 0 {
			v.idle.Wait()
		}
		due := len(v.timers) > 0 && !v.timers[0].ev.At.After(target) && !v.stopped
		next := target
		if due {
			next = v.timers[0].ev.At
		}
		// The work of one instant runs one after another, but the slow
		// part each hands to Go (a callback's delivery) overlaps it and
		// the instants after it: the clock moves to an instant only once
		// the work in flight that may arm work due by then (Hold) is done,
		// so that what it arms runs in its turn. The advance ends once
		// everything in flight is done.
		wait := func() bool {
			return v.running > 0 || next.After(v.now) && v.heldBy(next) || !due && v.flying > 0
		}
		if wait() {
			for wait() {
				v.idle.Wait()
			}
			v.mu.Unlock()
			continue
		}
		if !due {
			if target.After(v.now) {
				v.now = target
			}
			v.mu.Unlock()
			return fired
		}
		vt := heap.Pop(&v.timers).(*virtualTimer)
		if vt.ev.At.After(v.now) {
			v.now = vt.ev.At
		}
		v.mu.Unlock()

		fired = append(fired, vt.ev)
		vt.f()
	}
}

// Settle waits until work started at once, and what it handed to Go, has
// finished, without moving the clock. Tests call it before reading what
// that work did.
func (v *Virtual) Settle() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for v.running > 0 || v.flying > 0 {
		v.idle.Wait()
	}
}

// Pending lists scheduled work, earliest first.
func (v *Virtual) Pending() []Event {
	v.mu.Lock()
	out := make([]*virtualTimer, len(v.timers))
	copy(out, v.timers)
	v.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].before(out[j]) })
	evs := make([]Event, len(out))
	for i, vt := range out {
		evs[i] = vt.ev
	}
	return evs
}

// Stop cancels everything scheduled and waits for running work to finish.
func (v *Virtual) Stop() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stopped = true
	for _, vt := range v.timers {
		vt.index = -1
	}
	v.timers = nil
	for v.running > 0 || v.flying > 0 {
		v.idle.Wait()
	}
}

func (a *virtualTimer) before(b *virtualTimer) bool {
	if !a.ev.At.Equal(b.ev.At) {
		return a.ev.At.Before(b.ev.At)
	}
	// Work armed in parallel (a callback's next attempt, armed when its
	// delivery ends) keeps the order its Job.Seq gives, not the order the
	// deliveries happened to end in.
	if a.jobSeq != b.jobSeq {
		return a.jobSeq < b.jobSeq
	}
	return a.seq < b.seq
}

type timerHeap []*virtualTimer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	vt := x.(*virtualTimer)
	vt.index = len(*h)
	*h = append(*h, vt)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	vt := old[n-1]
	old[n-1] = nil
	vt.index = -1
	*h = old[:n-1]
	return vt
}
