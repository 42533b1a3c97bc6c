package fakeaws

import (
	"maps"
	"slices"
)

// Stats is what the server counted since it started or was reset.
type Stats struct {
	Total int `json:"total"`
	// Calls counts requests per operation, faulted ones included.
	Calls map[string]int `json:"calls"`
	// CallsByRegion counts requests per operation, then per region.
	CallsByRegion map[string]map[string]int `json:"callsByRegion"`
	// MaxInFlight is the most requests of one operation that were being
	// served at the same moment.
	MaxInFlight map[string]int `json:"maxInFlight"`
	// Faults counts injected faults and rate-limit throttles per
	// operation.
	Faults map[string]int `json:"faults"`
	// Requests logs every request in arrival order.
	Requests []Request `json:"requests"`
}

// Request is one logged request.
type Request struct {
	Op     string `json:"op"`
	Region string `json:"region"`
	// Names are the Names of GetParameters, the Name of GetParameter, the
	// Name filter values of DescribeParameters, or the SecretId.
	Names []string `json:"names,omitempty"`
	// Fault is the FaultKind injected, "ratelimit" for a throttle by a
	// RateLimit, or empty.
	Fault string `json:"fault,omitempty"`
	// AccessKey is the access key id the request was signed with.
	AccessKey string `json:"accessKey,omitempty"`
}

// begin counts and logs a request that arrived and picks its fault, all
// under one lock so that the log order is the order of the fault rules'
// counts.
func (s *Server) begin(op, region, key string, names []string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.stats
	st.Total++
	st.Calls[op]++
	if st.CallsByRegion[op] == nil {
		st.CallsByRegion[op] = map[string]int{}
	}
	st.CallsByRegion[op][region]++
	s.inFlight[op]++
	st.MaxInFlight[op] = max(st.MaxInFlight[op], s.inFlight[op])
	f, kind := s.pickFault(op, region)
	if f != nil {
		st.Faults[op]++
	}
	st.Requests = append(st.Requests,
		Request{Op: op, Region: region, Names: slices.Clone(names), Fault: kind,
			AccessKey: key})
	return f
}

// end counts a request that was answered or abandoned.
func (s *Server) end(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight[op]--
}

// Reset zeroes the counters and empties the request log. Requests still
// in flight count towards MaxInFlight again.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.stats = Stats{
		Calls:         map[string]int{},
		CallsByRegion: map[string]map[string]int{},
		MaxInFlight:   maps.Clone(s.inFlight),
		Faults:        map[string]int{},
		Requests:      []Request{},
	}
}

// Stats returns a copy of the counters and the request log.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Calls = maps.Clone(st.Calls)
	st.CallsByRegion = map[string]map[string]int{}
	for op, m := range s.stats.CallsByRegion {
		st.CallsByRegion[op] = maps.Clone(m)
	}
	st.MaxInFlight = maps.Clone(st.MaxInFlight)
	st.Faults = maps.Clone(st.Faults)
	st.Requests = slices.Clone(st.Requests)
	return st
}

// Calls returns how many op requests arrived, in all regions.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.Calls[op]
}

// MaxInFlight returns the most op requests served at the same moment.
func (s *Server) MaxInFlight(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.MaxInFlight[op]
}

// Requests returns the logged requests of op, or all of them for "".
func (s *Server) Requests(op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.stats.Requests {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}
