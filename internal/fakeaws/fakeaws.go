package fakeaws

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAccount is the account id of a new Server.
const DefaultAccount = "123456789012"

// DefaultPageSize is the DescribeParameters page size of a new Server, the
// largest MaxResults AWS accepts.
const DefaultPageSize = 50

const jsonType = "application/x-amz-json-1.1"

// Server is the fake endpoint. Its methods are safe for concurrent use,
// also while it serves requests.
type Server struct {
	mu       sync.Mutex
	account  string
	pageSize int
	regions  map[string]*regionData
	latency  time.Duration
	rules    []*rule
	limits   map[string]RateLimit
	buckets  map[string]*bucket
	stats    Stats
	inFlight map[string]int

	reqID     atomic.Int64
	closed    chan struct{}
	closeOnce sync.Once
}

// New returns an empty Server for account DefaultAccount.
func New() *Server {
	s := &Server{
		account:  DefaultAccount,
		pageSize: DefaultPageSize,
		regions:  map[string]*regionData{},
		limits:   map[string]RateLimit{},
		buckets:  map[string]*bucket{},
		inFlight: map[string]int{},
		closed:   make(chan struct{}),
	}
	s.resetLocked()
	return s
}

// Close releases every request held by a hang fault or the latency,
// dropping its connection, so that an http.Server or httptest.Server in
// front of s can shut down. Later requests are dropped the same way if
// they would wait.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// Account returns the account id used in ARNs.
func (s *Server) Account() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account
}

// SetAccount sets the account id used in ARNs.
func (s *Server) SetAccount(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = id
}

// SetPageSize sets the DescribeParameters page size; a request's
// MaxResults may only lower it.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = max(n, 1)
}

// apiError is an AWS error response.
type apiError struct {
	status int
	code   string
	msg    string
}

func badRequest(code, msg string) *apiError { return &apiError{http.StatusBadRequest, code, msg} }

func validation(msg string) *apiError { return badRequest("ValidationException", msg) }

// input holds the request fields of every supported operation; their
// names do not collide, so one decode serves all.
type input struct {
	Name             string
	Names            []string
	WithDecryption   bool
	ParameterFilters []filter
	MaxResults       int
	NextToken        string
	SecretID         string `json:"SecretId"`
	ResourceID       string `json:"ResourceId"`
	ResourceType     string
	VersionStage     string
	VersionID        string `json:"VersionId"`
}

type filter struct {
	Key    string
	Option string
	Values []string
}

// names returns what the request asked for, for the request log.
func (in *input) names() []string {
	switch {
	case in.Names != nil:
		return in.Names
	case in.Name != "":
		return []string{in.Name}
	case in.SecretID != "":
		return []string{in.SecretID}
	case in.ResourceID != "":
		return []string{in.ResourceID}
	}
	var out []string
	for _, f := range in.ParameterFilters {
		if f.Key == "Name" {
			out = append(out, f.Values...)
		}
	}
	return out
}

type operation func(s *Server, region string, in *input) (any, *apiError)

// route maps an X-Amz-Target to its operation. A switch rather than a map
// keeps package initialisation empty.
func route(target string) operation {
	switch target {
	case "AmazonSSM.GetParameter":
		return (*Server).getParameter
	case "AmazonSSM.GetParameters":
		return (*Server).getParameters
	case "AmazonSSM.DescribeParameters":
		return (*Server).describeParameters
	case "AmazonSSM.ListTagsForResource":
		return (*Server).listTags
	case "secretsmanager.GetSecretValue":
		return (*Server).getSecretValue
	case "secretsmanager.DescribeSecret":
		return (*Server).describeSecret
	}
	return nil
}

// ServeHTTP answers one AWS request or one /_fake/ control request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.serveControl(w, r)
		return
	}
	w.Header().Set("X-Amzn-RequestId", strconv.FormatInt(s.reqID.Add(1), 10))
	if r.Header.Get("X-Amz-Target") == "" && r.Method == http.MethodPost {
		s.serveQuery(w, r)
		return
	}
	target, region, in, aerr := decode(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	_, op, _ := strings.Cut(target, ".")
	fault := s.begin(op, region, accessKeyOf(r.Header.Get("Authorization")), in.names())
	defer s.end(op)
	if !s.wait(r, s.Latency()) {
		abort(w)
		return
	}
	if fault != nil && !s.inject(w, r, fault, target) {
		return
	}
	out, aerr := route(target)(s, region, in)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// decode checks that r is a request this fake serves and returns its
// target, region and input.
func decode(r *http.Request) (string, string, *input, *apiError) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || route(target) == nil {
		return "", "", nil, badRequest("UnknownOperationException",
			"unknown operation "+target)
	}
	region := regionOf(r.Header.Get("Authorization"))
	if region == "" {
		return "", "", nil, badRequest("MissingAuthenticationTokenException",
			"request has no SigV4 credential scope")
	}
	var in input
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		return "", "", nil, badRequest("SerializationException", "cannot decode request body")
	}
	return target, region, &in, nil
}

// accessKeyOf reads the access key id from "Credential=AKID/...".
func accessKeyOf(auth string) string {
	_, cred, _ := strings.Cut(auth, "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	return key
}

// regionOf reads the region from "Credential=AKID/DATE/REGION/SERVICE/aws4_request".
func regionOf(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, e.status, map[string]string{"__type": e.code, "message": e.msg})
}

// wait holds a request for d, or forever when d is negative. It reports
// false when the client went away or the server closed first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d == 0 {
		return true
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

// abort ends a request without any response, the way a dropped
// connection looks to the client.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// epoch is a timestamp as the JSON protocol sends it: seconds since 1970.
type epoch time.Time

// MarshalJSON writes fractional epoch seconds.
func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}
