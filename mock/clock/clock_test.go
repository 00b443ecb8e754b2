package clock_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock/clock"
)

var start = time.Date(2026, 11, 27, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))

// recorder notes which work ran and what the clock read while it ran.
type recorder struct {
	mu   sync.Mutex
	runs []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.runs = append(r.runs, s)
	r.mu.Unlock()
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.runs...)
}

func TestVirtual_Advance(t *testing.T) {
	type sched struct {
		after time.Duration
		label string
	}
	tests := []struct {
		name      string
		scheduled []sched
		advance   []time.Duration
		wantRuns  []string // label@offset-from-start
		wantLeft  []string
	}{
		{
			name:      "nothing due",
			scheduled: []sched{{time.Hour, "a"}},
			advance:   []time.Duration{59 * time.Minute},
			wantLeft:  []string{"a"},
		},
		{
			name:      "due order, not scheduling order",
			scheduled: []sched{{30 * time.Second, "c"}, {15 * time.Second, "a"}, {20 * time.Second, "b"}},
			advance:   []time.Duration{time.Minute},
			wantRuns:  []string{"a@15s", "b@20s", "c@30s"},
		},
		{
			name:      "ties run in scheduling order",
			scheduled: []sched{{time.Minute, "first"}, {time.Minute, "second"}, {time.Minute, "third"}},
			advance:   []time.Duration{time.Minute},
			wantRuns:  []string{"first@1m0s", "second@1m0s", "third@1m0s"},
		},
		{
			name:      "exactly at the target is due",
			scheduled: []sched{{time.Hour, "edge"}, {time.Hour + time.Nanosecond, "later"}},
			advance:   []time.Duration{time.Hour},
			wantRuns:  []string{"edge@1h0m0s"},
			wantLeft:  []string{"later"},
		},
		{
			name:      "several advances",
			scheduled: []sched{{10 * time.Second, "a"}, {25 * time.Second, "b"}},
			advance:   []time.Duration{20 * time.Second, 5 * time.Second, 0},
			wantRuns:  []string{"a@10s", "b@25s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := clock.NewVirtual(start)
			var rec recorder
			for _, s := range tt.scheduled {
				label := s.label
				v.AfterFunc(s.after, label, func() { rec.add(fmt.Sprintf("%s@%s", label, v.Now().Sub(start))) })
			}
			var fired []string
			for _, d := range tt.advance {
				evs, err := v.Advance(d)
				require.NoError(t, err)
				for _, e := range evs {
					fired = append(fired, fmt.Sprintf("%s@%s", e.Label, e.At.Sub(start)))
				}
			}
			assert.Equal(t, tt.wantRuns, rec.get())
			assert.Equal(t, tt.wantRuns, fired, "Advance reports what it ran")
			var left []string
			for _, e := range v.Pending() {
				left = append(left, e.Label)
			}
			assert.Equal(t, tt.wantLeft, left)
			var total time.Duration
			for _, d := range tt.advance {
				total += d
			}
			assert.Equal(t, start.Add(total), v.Now())
		})
	}
}

// A virtual clock ticks in whole milliseconds: it starts on one, work falls
// due on one (never before it was asked to), and an advance ends on one
// (never short of its target), so times shown to the millisecond are the
// times the clock holds.
func TestVirtual_Resolution(t *testing.T) {
	const sub = 400 * time.Microsecond
	tests := []struct {
		name    string
		start   time.Duration // after start, where the clock is created
		after   time.Duration // work scheduled this long after the clock's now
		advance func(v *clock.Virtual) ([]clock.Event, error)
		wantNow time.Duration // where the clock is after the advance
		wantRan bool
	}{
		{"start truncated", 5*time.Millisecond + sub, time.Second, func(v *clock.Virtual) ([]clock.Event, error) { return v.Advance(0) }, 5 * time.Millisecond, false},
		{"work rounded up", 0, time.Second + sub, func(v *clock.Virtual) ([]clock.Event, error) { return v.Advance(time.Second) }, time.Second, false},
		{"work rounded up runs at its tick", 0, time.Second + sub, func(v *clock.Virtual) ([]clock.Event, error) { return v.Advance(time.Second + time.Millisecond) }, time.Second + time.Millisecond, true},
		{"advance rounded up", 0, time.Millisecond, func(v *clock.Virtual) ([]clock.Event, error) { return v.Advance(time.Nanosecond) }, time.Millisecond, true},
		{"advance to rounded up", 0, 2 * time.Millisecond, func(v *clock.Virtual) ([]clock.Event, error) {
			return v.AdvanceTo(start.Add(time.Millisecond + sub))
		}, 2 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := clock.NewVirtual(start.Add(tt.start))
			ran := false
			v.AfterFunc(tt.after, "work", func() { ran = true })
			evs, err := tt.advance(v)
			require.NoError(t, err)
			assert.Equal(t, start.Add(tt.wantNow), v.Now())
			assert.Equal(t, tt.wantRan, ran)
			assert.Equal(t, tt.wantRan, len(evs) == 1)
			for _, e := range append(evs, v.Pending()...) {
				assert.Equal(t, e.At, e.At.Truncate(clock.Resolution), "work is due on a tick")
			}
		})
	}
}

// Schedule hands the job's timer to Armed, so its owner can cancel it;
// ScheduleAll does so for every job it arms, and runs overdue ones at once
// without a timer.
func TestSchedule_Armed(t *testing.T) {
	v := clock.NewVirtual(start.Add(time.Minute))
	var rec recorder
	timers := map[string]clock.Timer{}
	job := func(label string, at time.Duration) clock.Job {
		return clock.Job{At: start.Add(at), Label: label, Run: func() { rec.add(label) }, Armed: func(tm clock.Timer) { timers[label] = tm }}
	}
	clock.Schedule(v, job("single", 2*time.Minute))
	clock.ScheduleAll(v, []clock.Job{job("overdue", 0), job("later", 3*time.Minute), job("kept", 4*time.Minute)})
	v.Settle()
	assert.Equal(t, []string{"overdue"}, rec.get())
	require.Contains(t, timers, "single")
	require.Contains(t, timers, "later")
	assert.NotContains(t, timers, "overdue", "an overdue job runs at once, with no timer")
	assert.True(t, timers["single"].Stop())
	assert.True(t, timers["later"].Stop())
	_, err := v.Advance(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []string{"overdue", "kept"}, rec.get())
}

// Work may schedule more work: what falls inside the advance runs in the same
// advance (the callback retry schedule depends on this), and the rest waits.
func TestVirtual_WorkSchedulesWork(t *testing.T) {
	v := clock.NewVirtual(start)
	var rec recorder
	schedule := []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute}
	var attempt func(n int)
	attempt = func(n int) {
		rec.add(fmt.Sprintf("attempt %d at %s", n, v.Now().Sub(start)))
		if n-1 < len(schedule) {
			v.AfterFunc(schedule[n-1], "retry", func() { attempt(n + 1) })
		}
	}
	v.AfterFunc(0, "first", func() { attempt(1) })
	v.Settle()
	_, err := v.Advance(time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{"attempt 1 at 0s", "attempt 2 at 15s", "attempt 3 at 30s", "attempt 4 at 1m0s"}, rec.get())
	require.Len(t, v.Pending(), 1)
	assert.Equal(t, start.Add(4*time.Minute), v.Pending()[0].At)
}

// Work due at once runs right away, and an advance waits for it (and for the
// work it starts) before returning.
func TestVirtual_ImmediateWorkFinishesBeforeAdvanceReturns(t *testing.T) {
	v := clock.NewVirtual(start)
	release := make(chan struct{})
	var rec recorder
	v.AfterFunc(0, "slow", func() {
		<-release
		rec.add("slow")
		v.AfterFunc(0, "chained", func() { rec.add("chained") })
		v.AfterFunc(time.Second, "timer", func() { rec.add("timer") })
	})
	done := make(chan struct{})
	go func() {
		_, _ = v.Advance(time.Second)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("Advance returned while work due at once was still running")
	default:
	}
	close(release)
	<-done
	assert.ElementsMatch(t, []string{"slow", "chained", "timer"}, rec.get())
}

func TestVirtual_Stop(t *testing.T) {
	v := clock.NewVirtual(start)
	var rec recorder
	keep := v.AfterFunc(time.Minute, "keep", func() { rec.add("keep") })
	drop := v.AfterFunc(time.Minute, "drop", func() { rec.add("drop") })
	assert.True(t, drop.Stop())
	assert.False(t, drop.Stop(), "a second Stop finds nothing")
	_, err := v.Advance(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []string{"keep"}, rec.get())
	assert.False(t, keep.Stop(), "work that ran cannot be stopped")

	v.AfterFunc(time.Minute, "cancelled by clock stop", func() { rec.add("late") })
	v.Stop()
	v.AfterFunc(0, "after stop", func() { rec.add("after stop") })
	_, err = v.Advance(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []string{"keep"}, rec.get())
	assert.Empty(t, v.Pending())
}

func TestVirtual_Backwards(t *testing.T) {
	v := clock.NewVirtual(start)
	_, err := v.Advance(-time.Second)
	assert.ErrorIs(t, err, clock.ErrBackwards)
	_, err = v.AdvanceTo(start.Add(-time.Second))
	assert.ErrorIs(t, err, clock.ErrBackwards)
	evs, err := v.AdvanceTo(start.Add(30 * 24 * time.Hour))
	require.NoError(t, err)
	assert.Empty(t, evs)
	assert.Equal(t, start.Add(30*24*time.Hour), v.Now())
}

// Many goroutines schedule, stop and read while another advances; run with -race.
func TestVirtual_Concurrent(t *testing.T) {
	v := clock.NewVirtual(start)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran, stopped := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				tm := v.AfterFunc(time.Duration(i*50+j+1)*time.Millisecond, "w", func() {
					mu.Lock()
					ran++
					mu.Unlock()
				})
				if j%10 == 0 && tm.Stop() {
					mu.Lock()
					stopped++
					mu.Unlock()
				}
				_ = v.Now()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 10 {
			_, _ = v.Advance(10 * time.Millisecond)
		}
	}()
	wg.Wait()
	_, err := v.Advance(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 20*50-stopped, ran, "every timer not stopped runs exactly once")
	assert.Positive(t, stopped)
	assert.Empty(t, v.Pending())
}

func TestReal(t *testing.T) {
	_, err := clock.NewReal(0)
	assert.Error(t, err)
	_, err = clock.NewReal(-2)
	assert.Error(t, err)

	// A day of domain time at a scale of 8.64e7 takes a millisecond of wall time.
	c, err := clock.NewReal(24 * 3600 * 1000)
	require.NoError(t, err)
	before := time.Now()
	assert.WithinDuration(t, before, c.Now(), time.Second, "a scaled clock still reads wall time")
	fired := make(chan struct{})
	c.AfterFunc(24*time.Hour, "a day", func() { close(fired) })
	<-fired

	never := c.AfterFunc(24*time.Hour*365*100, "a century", func() { t.Error("stopped work ran") })
	require.Len(t, c.Pending(), 1)
	assert.Equal(t, "a century", c.Pending()[0].Label)
	assert.True(t, never.Stop())
	assert.Empty(t, c.Pending())

	c.AfterFunc(24*time.Hour*365*100, "cancelled by Stop", func() { t.Error("work ran after Stop") })
	c.Stop()
	assert.Empty(t, c.Pending())
	c.AfterFunc(0, "after stop", func() { t.Error("work scheduled after Stop ran") })
	assert.Empty(t, c.Pending())
}

func TestScheduleAll(t *testing.T) {
	job := func(r *recorder, v *clock.Virtual, at time.Duration, seq uint64, label string) clock.Job {
		return clock.Job{At: start.Add(at), Seq: seq, Label: label, Run: func() { r.add(fmt.Sprintf("%s@%s", label, v.Now().Sub(start))) }}
	}
	tests := []struct {
		name       string
		now        time.Duration // where the clock is when the jobs are scheduled
		jobs       func(r *recorder, v *clock.Virtual) []clock.Job
		wantAtOnce []string
		wantRuns   []string // after advancing an hour
	}{
		{
			name: "due order, ties by seq",
			jobs: func(r *recorder, v *clock.Virtual) []clock.Job {
				return []clock.Job{job(r, v, time.Minute, 9, "c"), job(r, v, time.Second, 5, "a"), job(r, v, time.Minute, 2, "b")}
			},
			wantRuns: []string{"a@1s", "b@1m0s", "c@1m0s"},
		},
		{
			name: "overdue jobs run at once, in due order",
			now:  10 * time.Minute,
			jobs: func(r *recorder, v *clock.Virtual) []clock.Job {
				return []clock.Job{
					job(r, v, 11*time.Minute, 1, "later"), job(r, v, 10*time.Minute, 7, "now"),
					job(r, v, 5*time.Minute, 3, "second"), job(r, v, time.Minute, 8, "first"),
				}
			},
			wantAtOnce: []string{"first@10m0s", "second@10m0s", "now@10m0s"},
			wantRuns:   []string{"first@10m0s", "second@10m0s", "now@10m0s", "later@11m0s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := clock.NewVirtual(start.Add(tt.now))
			r := &recorder{}
			clock.ScheduleAll(v, tt.jobs(r, v))
			v.Settle()
			assert.Equal(t, tt.wantAtOnce, r.get())
			_, err := v.Advance(time.Hour)
			require.NoError(t, err)
			assert.Equal(t, tt.wantRuns, r.get())
		})
	}
}

// Cancel takes an owner's pending work off the clock, and refuses work of
// that owner decided before it (Job.Epoch) and armed after: a reset or a
// merchant's removal must leave nothing of theirs to fire.
func TestCancel(t *testing.T) {
	clocks := map[string]func() clock.Clock{
		"virtual": func() clock.Clock { return clock.NewVirtual(start) },
		"real": func() clock.Clock {
			c, err := clock.NewReal(1)
			require.NoError(t, err)
			return c
		},
	}
	tests := []struct {
		name     string
		cancel   string
		wantGone int
		wantLeft []string // pending labels after the cancel, earliest first
	}{
		{name: "one owner", cancel: "m1", wantGone: 1, wantLeft: []string{"m2 pending", "unowned", "m2 late", "m2 decided before"}},
		{name: "every owner", cancel: "", wantGone: 2, wantLeft: []string{"unowned", "m2 late"}},
	}
	for cname, newClock := range clocks {
		for _, tt := range tests {
			t.Run(cname+"/"+tt.name, func(t *testing.T) {
				c := newClock()
				defer c.Stop()
				var rec recorder
				now := c.Now()
				job := func(owner, label string, d time.Duration, epoch uint64) clock.Job {
					return clock.Job{At: now.Add(d), Label: label, Owner: owner, Epoch: epoch, Run: func() { rec.add(label) }}
				}
				clock.Schedule(c, job("m1", "m1 pending", time.Hour, c.Epoch()))
				clock.Schedule(c, job("m2", "m2 pending", 2*time.Hour, c.Epoch()))
				clock.Schedule(c, job("", "unowned", 3*time.Hour, c.Epoch()))
				before := c.Epoch()

				assert.Equal(t, tt.wantGone, c.Cancel(tt.cancel), "jobs taken off")
				// Decided before the cancel, armed after it (clock.Later).
				clock.Schedule(c, job("m1", "m1 decided before", 5*time.Hour, before))
				clock.Schedule(c, job("m2", "m2 decided before", 5*time.Hour, before))
				// Decided after it: new work of a merchant that stays.
				clock.Schedule(c, job("m2", "m2 late", 4*time.Hour, c.Epoch()))

				var left []string
				for _, ev := range c.Pending() {
					left = append(left, ev.Label)
				}
				assert.Equal(t, tt.wantLeft, left, "pending after the cancel")
				if v, ok := c.(*clock.Virtual); ok {
					_, err := v.Advance(24 * time.Hour)
					require.NoError(t, err)
					assert.Equal(t, tt.wantLeft, rec.get(), "what a later advance fired")
				}
			})
		}
	}
}

// Work handed to Go overlaps the rest of its instant's work and the
// instants after it, short of the horizon it holds the clock at (Hold);
// an advance returns only once it has returned, and runs what it armed
// within the advance.
func TestVirtual_Go(t *testing.T) {
	tests := []struct {
		name string
		hold time.Duration // after a's instant; 0: no Hold
		// c lets a finish, which only works if c runs while a is in
		// flight; otherwise b, at a's instant, does.
		cReleases bool
		want      []string
	}{
		{"no hold: c runs while a is in flight", 0, true, []string{"c", "a done", "a again"}},
		{"a hold at c's instant: c waits for a", 500 * time.Millisecond, false, []string{"a done", "c", "a again"}},
		{"a hold after c's instant: c runs while a is in flight", time.Second, true, []string{"c", "a done", "a again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := clock.NewVirtual(start)
			var rec recorder
			release := make(chan struct{})
			v.AfterFunc(time.Second, "a", func() {
				done := func() {}
				if tt.hold > 0 {
					done = v.Hold(v.Now().Add(tt.hold))
				}
				v.Go(func() {
					defer done()
					<-release
					rec.add("a done")
					v.AfterFunc(tt.hold+time.Second, "a again", func() { rec.add("a again") })
				})
			})
			v.AfterFunc(time.Second, "b", func() {
				if !tt.cReleases {
					v.Go(func() { close(release) }) // would block for ever if b waited for a
				}
			})
			v.AfterFunc(1500*time.Millisecond, "c", func() {
				rec.add("c")
				if tt.cReleases {
					close(release)
				}
			})
			_, err := v.Advance(time.Minute)
			require.NoError(t, err)
			assert.Equal(t, tt.want, rec.get())
		})
	}
}
