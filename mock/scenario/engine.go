package scenario

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
)

// Engine holds the loaded scenarios and decides, for each call or event,
// which of them applies. Its methods are safe for concurrent use and work on
// a nil *Engine (no scenarios).
type Engine struct {
	vocab  Vocabulary
	mu     sync.Mutex
	seq    int
	loaded []*loaded
}

// NewEngine returns an engine for scenarios in the vocabulary v.
func NewEngine(v Vocabulary) *Engine { return &Engine{vocab: v} }

// Decode checks a file's scenarios without loading them.
func (e *Engine) Decode(file string, data []byte) ([]*Scenario, error) {
	return e.vocabulary().Decode(file, data)
}

func (e *Engine) vocabulary() Vocabulary {
	if e == nil {
		return Vocabulary{}
	}
	return e.vocab
}

// kind is an effect kind; each scenario counts its occurrences per kind.
type kind int

const (
	kindAPI kind = iota
	kindUser
	kindDeduction
	kindRefund
	kindCallback
)

type loaded struct {
	id     string
	file   string
	s      *Scenario
	counts [kindCallback + 1]int
	uses   int // occurrences it took effect on
	rng    *rand.Rand
}

// Info describes a loaded scenario (GET /sandbox/scenarios).
type Info struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	File        string   `json:"file,omitempty"`
	Match       Match    `json:"match"`
	Effects     []string `json:"effects"`
	Applied     int      `json:"applied"` // how often it has taken effect
}

// Scope narrows what scenarios apply to when they are loaded, so that one
// shared file can serve parallel tests: each field given replaces the
// scenario's own.
type Scope struct {
	MchID, SubMchID, OpenID, OutOrderNo, ServiceID string
}

// Subject is what an effect is decided for: an API call, an order event
// or a callback. Empty fields are unknown and match only empty patterns.
type Subject struct {
	MchID, OpenID, OutOrderNo, ServiceID string
	SubMchID                             string // a service provider's sub-merchant
	Endpoint                             string // API calls
	EventType                            string // callbacks
}

// Load decodes a file's scenarios and adds them all, or none.
func (e *Engine) Load(file string, data []byte, scope Scope) ([]Info, error) {
	ss, err := e.Decode(file, data)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var infos []Info
	for _, s := range ss {
		if scope.MchID != "" {
			s.Match.MchID = scope.MchID
		}
		if scope.SubMchID != "" {
			s.Match.SubMchID = scope.SubMchID
		}
		if scope.OpenID != "" {
			s.Match.OpenID = Glob(scope.OpenID)
		}
		if scope.OutOrderNo != "" {
			s.Match.OutOrderNo = Glob(scope.OutOrderNo)
		}
		if scope.ServiceID != "" {
			s.Match.ServiceID = scope.ServiceID
		}
		e.seq++
		l := &loaded{id: fmt.Sprintf("sc-%d", e.seq), file: file, s: s, rng: rand.New(rand.NewPCG(uint64(s.Match.Seed), 0))}
		e.loaded = append(e.loaded, l)
		infos = append(infos, l.info())
	}
	return infos, nil
}

// LoadFS loads every *.yaml and *.yml file at the root of fsys, all or none.
func (e *Engine) LoadFS(fsys fs.FS) ([]Info, error) {
	var names []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := fs.Glob(fsys, pattern)
		if err != nil {
			return nil, err
		}
		names = append(names, m...)
	}
	sort.Strings(names)
	files := make([][]byte, len(names))
	for i, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if _, err := e.Decode(name, data); err != nil {
			return nil, err // before anything is added
		}
		files[i] = data
	}
	var infos []Info
	for i, name := range names {
		more, err := e.Load(name, files[i], Scope{})
		if err != nil {
			return nil, err
		}
		infos = append(infos, more...)
	}
	return infos, nil
}

func (l *loaded) info() Info {
	var effects []string
	s := l.s
	for name, on := range map[string]bool{"api": s.API != nil, "user": s.User != nil, "deduction": s.Deduction != nil, "refund": s.Refund != nil, "callback": s.Callback != nil} {
		if on {
			effects = append(effects, name)
		}
	}
	sort.Strings(effects)
	return Info{ID: l.id, Name: s.Name, Description: s.Description, File: l.file, Match: s.Match, Effects: effects, Applied: l.uses}
}

// List returns the loaded scenarios in load order.
func (e *Engine) List() []Info {
	if e == nil {
		return []Info{}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []Info{}
	for _, l := range e.loaded {
		out = append(out, l.info())
	}
	return out
}

// Empty reports whether no scenario is loaded: the fast path of every call.
func (e *Engine) Empty() bool {
	if e == nil {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.loaded) == 0
}

// Unload removes a scenario by id; it reports whether there was one.
func (e *Engine) Unload(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.loaded, func(l *loaded) bool { return l.id == id })
	if i < 0 {
		return false
	}
	e.loaded = slices.Delete(e.loaded, i, i+1)
	return true
}

// Reset unloads every scenario.
func (e *Engine) Reset() {
	e.mu.Lock()
	e.loaded = nil
	e.mu.Unlock()
}

// Applied names the scenario a decision came from.
type Applied struct {
	ID, Name string
}

// pick returns the first scenario (in load order) with an effect of kind k
// whose match holds for sub and that decides to apply to this occurrence.
func (e *Engine) pick(k kind, sub Subject, has func(*Scenario) bool) *loaded {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.loaded {
		if !has(l.s) || !l.s.Match.holds(k, sub) {
			continue
		}
		l.counts[k]++
		m := l.s.Match
		switch {
		case k == kindUser:
			// User behaviour applies to every matching order: it is asked
			// for at several moments of one order, which nth, times and a
			// random draw would make inconsistent.
		case m.Nth > 0 && l.counts[k] != m.Nth:
			continue
		case m.Times > 0 && l.uses >= m.Times:
			continue
		case m.Probability > 0 && l.rng.Float64() >= m.Probability:
			continue
		}
		l.uses++
		return l
	}
	return nil
}

func (m Match) holds(k kind, sub Subject) bool {
	switch {
	case m.MchID != "" && m.MchID != sub.MchID,
		m.SubMchID != "" && m.SubMchID != sub.SubMchID,
		m.ServiceID != "" && m.ServiceID != sub.ServiceID,
		m.OpenID != "" && !m.OpenID.Matches(sub.OpenID),
		m.OutOrderNo != "" && !m.OutOrderNo.Matches(sub.OutOrderNo),
		k == kindAPI && m.Endpoint != "" && string(m.Endpoint) != sub.Endpoint,
		k == kindCallback && m.EventType != "" && string(m.EventType) != sub.EventType:
		return false
	}
	return true
}

// API decides the fault of an API call. A user who fails the risk check is
// a fault of the create endpoints: 400 INVALID_REQUEST 综合评估未通过.
func (e *Engine) API(sub Subject) (*API, Applied) {
	l := e.pick(kindAPI, sub, func(s *Scenario) bool {
		return s.API != nil || s.User != nil && s.User.RiskRejected && slices.Contains(e.vocab.Creates, sub.Endpoint)
	})
	if l == nil {
		return nil, Applied{}
	}
	if l.s.API != nil {
		a := *l.s.API
		if a.Status != 0 && a.Code == "" {
			a.Code = defaultCode(a.Status)
		}
		return &a, l.decision()
	}
	return &API{Status: 400, Code: "INVALID_REQUEST", Message: "综合评估未通过"}, l.decision()
}

// User decides what the user does about an order or an authorization.
func (e *Engine) User(sub Subject) (*User, Applied) {
	l := e.pick(kindUser, sub, func(s *Scenario) bool { return s.User != nil && !s.User.onlyRisk() })
	if l == nil {
		return nil, Applied{}
	}
	return l.s.User, l.decision()
}

func (u *User) onlyRisk() bool {
	return u.RiskRejected && u.ConfirmAfter == nil && !u.NeverConfirm && u.RevokeAfter == nil && !u.RejectAuthorization
}

// RiskRejected decides whether a user fails Pay Score's assessment where
// the API answers with a state rather than a refusal: a parking entry is
// then created BLOCKED (EVALUATION_FAILED). A scenario scoped to an
// endpoint refuses that endpoint's calls (API) and nothing else.
func (e *Engine) RiskRejected(sub Subject) (Applied, bool) {
	l := e.pick(kindUser, sub, func(s *Scenario) bool {
		return s.User != nil && s.User.RiskRejected && s.Match.Endpoint == ""
	})
	if l == nil {
		return Applied{}, false
	}
	return l.decision(), true
}

// Deduction decides how a deduction attempt goes.
func (e *Engine) Deduction(sub Subject) (*Deduction, Applied) {
	l := e.pick(kindDeduction, sub, func(s *Scenario) bool { return s.Deduction != nil })
	if l == nil {
		return nil, Applied{}
	}
	return l.s.Deduction, l.decision()
}

// Refund decides how a refund ends.
func (e *Engine) Refund(sub Subject) (*Refund, Applied) {
	l := e.pick(kindRefund, sub, func(s *Scenario) bool { return s.Refund != nil })
	if l == nil {
		return nil, Applied{}
	}
	return l.s.Refund, l.decision()
}

// Callback decides what happens to a callback.
func (e *Engine) Callback(sub Subject) (*Callback, Applied) {
	l := e.pick(kindCallback, sub, func(s *Scenario) bool { return s.Callback != nil })
	if l == nil {
		return nil, Applied{}
	}
	return l.s.Callback, l.decision()
}

// decision names the scenario for records; id and name never change, so
// reading them after pick released the lock is safe.
func (l *loaded) decision() Applied { return Applied{ID: l.id, Name: l.s.Name} }

// String is how a decision reads in records: "scenario deduct-failure (sc-3)".
func (a Applied) String() string { return fmt.Sprintf("scenario %s (%s)", a.Name, a.ID) }
