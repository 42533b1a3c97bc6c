package fakeaws

import (
	"net/http"
	"strings"
	"time"
)

// FaultKind says what a Fault does to a request.
type FaultKind string

// The fault kinds.
const (
	// Throttle answers 400 ThrottlingException, which SDKs retry.
	Throttle FaultKind = "throttle"
	// Internal answers 500 InternalServerError (SSM) or
	// InternalServiceError (Secrets Manager).
	Internal FaultKind = "internal"
	// Unavailable answers 503 ServiceUnavailable.
	Unavailable FaultKind = "unavailable"
	// Drop closes the connection without a response.
	Drop FaultKind = "drop"
	// Hang holds the request until the client goes away or the server
	// closes; with MaxHang set, it then answers normally after MaxHang.
	Hang FaultKind = "hang"
	// Error answers Status (default 400) with error code Code, such as
	// AccessDeniedException.
	Error FaultKind = "error"
)

// Fault is a rule that injects a failure into matching requests.
//
// Rules are tried in order and the first that fires is applied. Each rule
// counts the requests it matched (those a rule before it took are not
// seen); with Every set it fires on every Every-th of them, with Count set
// on at most Count of them, and with neither on all.
type Fault struct {
	// Op is an operation name such as "GetParameters"; empty or "*"
	// matches all.
	Op string `json:"op,omitempty"`
	// Region, when set, limits the rule to that region.
	Region  string        `json:"region,omitempty"`
	Kind    FaultKind     `json:"kind"`
	Count   int           `json:"count,omitempty"`
	Every   int           `json:"every,omitempty"`
	MaxHang time.Duration `json:"-"` // "maxHang" in JSON, a duration string
	Code    string        `json:"code,omitempty"`
	Status  int           `json:"status,omitempty"`
	Message string        `json:"message,omitempty"`
}

// RateLimit is a token bucket on one operation, with a bucket per region
// as AWS quotas are per account and region. An empty bucket answers
// ThrottlingException. SSM GetParameters defaults to 40 per second with a
// burst of 40 in AWS.
type RateLimit struct {
	Op    string  `json:"op"`
	Rate  float64 `json:"rate"`            // tokens added per second
	Burst int     `json:"burst,omitempty"` // bucket size, at least 1
}

type rule struct {
	Fault
	seen, fired int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// SetFaults replaces the fault rules; none clears them. Their counts
// start afresh.
func (s *Server) SetFaults(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = s.rules[:0:0]
	for _, f := range faults {
		s.rules = append(s.rules, &rule{Fault: f})
	}
}

// SetRateLimit sets the token bucket of l.Op, full; a zero Rate removes
// it.
func (s *Server) SetRateLimit(l RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.buckets {
		if strings.HasPrefix(key, l.Op+" ") {
			delete(s.buckets, key)
		}
	}
	if l.Rate <= 0 {
		delete(s.limits, l.Op)
		return
	}
	l.Burst = max(l.Burst, 1)
	s.limits[l.Op] = l
}

// SetLatency delays every AWS request by d before it is answered.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Latency returns the delay set by SetLatency.
func (s *Server) Latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// pickFault returns the fault to inject into a request, if any, and the
// name it is logged under. The caller holds s.mu.
func (s *Server) pickFault(op, region string) (*Fault, string) {
	for _, r := range s.rules {
		if r.Op != "" && r.Op != "*" && r.Op != op || r.Region != "" && r.Region != region {
			continue
		}
		r.seen++
		if r.Every > 0 && r.seen%r.Every != 0 || r.Count > 0 && r.fired >= r.Count {
			continue
		}
		r.fired++
		f := r.Fault
		return &f, string(f.Kind)
	}
	if !s.allow(op, region) {
		return &Fault{Kind: Throttle}, "ratelimit"
	}
	return nil, ""
}

// allow takes a token from the request's bucket, if it has a limit. The
// caller holds s.mu.
func (s *Server) allow(op, region string) bool {
	l, ok := s.limits[op]
	if !ok {
		return true
	}
	now := time.Now()
	key := op + " " + region
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.Burst), last: now}
		s.buckets[key] = b
	}
	b.tokens = min(float64(l.Burst), b.tokens+now.Sub(b.last).Seconds()*l.Rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// inject applies f to the request and reports whether it should still be
// answered normally.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, f *Fault, target string) bool {
	switch f.Kind {
	case Drop:
		abort(w)
	case Hang:
		d := f.MaxHang
		if d <= 0 {
			d = -1 // until the client or the server gives up
		}
		if s.wait(r, d) {
			return true
		}
		abort(w)
	default:
		writeError(w, faultError(f, target))
	}
	return false
}

func faultError(f *Fault, target string) *apiError {
	e := &apiError{http.StatusBadRequest, "ThrottlingException", "Rate exceeded"}
	switch f.Kind {
	case Internal:
		e.status, e.code, e.msg = http.StatusInternalServerError, "InternalServerError",
			"An internal error occurred."
		if strings.HasPrefix(target, "secretsmanager.") {
			e.code = "InternalServiceError"
		}
	case Unavailable:
		e.status, e.code, e.msg = http.StatusServiceUnavailable, "ServiceUnavailable",
			"Service unavailable."
	case Error:
		e.status, e.code = max(f.Status, 400), f.Code
		if e.code == "" {
			e.code = "InternalFailure"
		}
	}
	if f.Message != "" {
		e.msg = f.Message
	}
	return e
}
