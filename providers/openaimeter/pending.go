package openaimeter

import "sync"

// Pending remembers asynchronous calls started through a Client — assistant
// runs and background Responses API calls — until they finish, so that their
// usage, which OpenAI returns again on every poll, is reported exactly once
// and only for calls this process started. It is bounded: past its size the
// oldest unfinished call is forgotten. Safe for concurrent use.
type Pending struct {
	mu    sync.Mutex
	max   int
	ids   map[string]struct{}
	order []string // insertion order; may hold ids already taken
}

// NewPending returns a set remembering at most size unfinished calls
// (DefaultPendingSize when size <= 0).
func NewPending(size int) *Pending {
	if size <= 0 {
		size = DefaultPendingSize
	}
	return &Pending{max: size, ids: make(map[string]struct{})}
}

// add remembers id as started and unfinished.
func (p *Pending) add(id string) {
	if id == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.ids[id]; ok {
		return
	}
	for len(p.ids) >= p.max && len(p.order) > 0 {
		old := p.order[0]
		p.order = p.order[1:]
		delete(p.ids, old)
	}
	p.ids[id] = struct{}{}
	p.order = append(p.order, id)
	if len(p.order) > 2*p.max { // drop ids already taken
		live := make([]string, 0, len(p.ids))
		for _, v := range p.order {
			if _, ok := p.ids[v]; ok {
				live = append(live, v)
			}
		}
		p.order = live
	}
}

// take forgets id and reports whether it was pending: the one caller that
// gets true reports the call's usage.
func (p *Pending) take(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.ids[id]; !ok {
		return false
	}
	delete(p.ids, id)
	return true
}

// has reports whether id is pending, leaving it so.
func (p *Pending) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.ids[id]
	return ok
}

// Len is the number of unfinished calls remembered.
func (p *Pending) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}
