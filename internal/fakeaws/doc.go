// Package fakeaws is a fake AWS endpoint for tests and benchmarks of
// secret-exec. It is never linked into the shipped binary.
//
// A [Server] is an [http.Handler] that speaks the AWS JSON 1.1 protocol
// for the few operations secret-exec uses:
//
//	AmazonSSM.GetParameter, AmazonSSM.GetParameters,
//	AmazonSSM.DescribeParameters,
//	secretsmanager.GetSecretValue, secretsmanager.DescribeSecret
//
// Point an SDK client's BaseEndpoint (or AWS_ENDPOINT_URL) at it. The
// region of a request is taken from the credential scope of its SigV4
// Authorization header, and every region holds its own data, so one server
// stands in for all regions. Signatures are not checked.
//
// It mirrors the AWS behaviour that clients get wrong most easily: at most
// 10 names per GetParameters, unknown names and unknown versions or labels
// listed in InvalidParameters exactly as they were asked for, the Selector
// field, /aws/reference/secretsmanager/ names, full and partial secret
// ARNs, staging labels, and DescribeParameters paging that applies the page
// size to the parameters scanned rather than to those matched, so a page
// may come back short, or empty, with a NextToken.
//
// # Test knobs
//
// Data is seeded with [Server.PutParameter] and [Server.PutSecret], or from
// a JSON file with [LoadConfig] and [Server.Apply]. Faults are set at run
// time with [Server.SetFaults], [Server.SetRateLimit] and
// [Server.SetLatency]. Calls are counted per operation and region, with the
// most requests of one operation ever in flight together and the names each
// call asked for; read them with [Server.Stats] and friends.
//
// Three paths serve other processes (a benchmark script, a test driving a
// built binary) and bypass faults and counting:
//
//	GET  /_fake/stats   the Stats as JSON
//	POST /_fake/reset   zero the counters and the request log
//	POST /_fake/config  apply a JSON config as below
//
// # Config
//
// Durations are Go duration strings; every field is optional.
//
//	{
//	  "account": "123456789012",
//	  "pageSize": 50,
//	  "latency": "20ms",
//	  "regions": {
//	    "us-east-1": {
//	      "parameters": [
//	        {"name": "/app/db", "value": "v1", "type": "SecureString",
//	         "tags": {"copilot-application": "app"}, "labels": ["prod"]},
//	        {"name": "/app/db", "value": "v2"},
//	        {"name": "shared", "value": "x", "account": "210987654321"}
//	      ],
//	      "secrets": [
//	        {"name": "db", "string": "{\"user\":\"u\"}", "tags": {"k": "v"}},
//	        {"name": "db", "string": "new", "stages": ["AWSCURRENT"]},
//	        {"name": "blob", "binary": "AAEC", "versionId": "v-1"}
//	      ]
//	    }
//	  },
//	  "faults": [
//	    {"op": "GetParameters", "region": "us-east-1", "kind": "throttle",
//	     "count": 2},
//	    {"op": "GetSecretValue", "kind": "hang", "every": 3,
//	     "maxHang": "2s"},
//	    {"kind": "error", "op": "DescribeSecret", "status": 400,
//	     "code": "AccessDeniedException"}
//	  ],
//	  "rateLimits": [{"op": "GetParameters", "rate": 40, "burst": 40}]
//	}
//
// Entries are applied in order, so a repeated parameter name adds a
// version and a repeated secret name adds a secret version. Fault kinds
// are throttle, internal, unavailable, drop, hang and error; see [Fault].
package fakeaws
