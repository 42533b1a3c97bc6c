package fakeaws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Config is the JSON seed and fault set described in the package comment.
type Config struct {
	Account  string        `json:"account,omitempty"`
	PageSize int           `json:"pageSize,omitempty"`
	Latency  time.Duration `json:"-"` // "latency" in JSON, a duration string
	// Regions maps a region name to the data seeded there.
	Regions    map[string]Seed `json:"regions,omitempty"`
	Faults     []Fault         `json:"faults,omitempty"`
	RateLimits []RateLimit     `json:"rateLimits,omitempty"`
}

// Seed is the data of one region, put in order.
type Seed struct {
	Parameters []Parameter `json:"parameters,omitempty"`
	Secrets    []Secret    `json:"secrets,omitempty"`
}

// LoadConfig reads a Config from a JSON file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a Config from JSON. Unknown fields are errors, so
// that a misspelt knob is not silently ignored.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("fakeaws config: %w", err)
	}
	return &c, nil
}

// strictUnmarshal is json.Unmarshal refusing unknown fields.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Apply seeds c's data after what s holds, sets the account and page size
// when given, and replaces the latency, faults and rate limits.
func (s *Server) Apply(c *Config) {
	if c.Account != "" {
		s.SetAccount(c.Account)
	}
	if c.PageSize > 0 {
		s.SetPageSize(c.PageSize)
	}
	for region, seed := range c.Regions {
		for _, p := range seed.Parameters {
			s.PutParameter(region, p)
		}
		for _, sec := range seed.Secrets {
			s.PutSecret(region, sec)
		}
	}
	s.SetLatency(c.Latency)
	s.SetFaults(c.Faults...)
	s.mu.Lock()
	clear(s.limits)
	clear(s.buckets)
	s.mu.Unlock()
	for _, l := range c.RateLimits {
		s.SetRateLimit(l)
	}
}

// UnmarshalJSON reads "latency" as a duration string.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	aux := struct {
		*plain
		Latency string `json:"latency"`
	}{plain: (*plain)(c)}
	if err := strictUnmarshal(b, &aux); err != nil {
		return err
	}
	return parseDuration("latency", aux.Latency, &c.Latency)
}

// UnmarshalJSON reads "maxHang" as a duration string and checks the kind.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	aux := struct {
		*plain
		MaxHang string `json:"maxHang"`
	}{plain: (*plain)(f)}
	if err := strictUnmarshal(b, &aux); err != nil {
		return err
	}
	switch f.Kind {
	case Throttle, Internal, Unavailable, Drop, Hang, Error:
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	return parseDuration("maxHang", aux.MaxHang, &f.MaxHang)
}

func parseDuration(field, s string, d *time.Duration) error {
	if s == "" {
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	*d = v
	return nil
}

// serveControl serves the /_fake/ paths, which are neither faulted nor
// counted.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_fake/stats" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
	case r.URL.Path == "/_fake/reset" && r.Method == http.MethodPost:
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/_fake/config" && r.Method == http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		var c *Config
		if err == nil {
			c, err = ParseConfig(data)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Apply(c)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}
