// Package conformance checks dripd and drip-go against the official Drip
// Node client, @drip-sdk/node, pinned in testdata/node/package.json.
//
// The test (conformance_test.go) starts a dripd, installs the Node client
// with npm into testdata/node/node_modules when it is missing (gitignored),
// and runs testdata/node/conformance.mjs, which calls the client's methods
// in a fixed order and asserts on every reply. Without node or npm the test
// skips, except under CI=true, where it fails.
//
// Captured requests. The dripd in the test sits behind a Recorder, which
// saves each request the client sends: method, path, query, headers (minus
// Authorization) and JSON body. The Node client cannot add headers, so the
// script names its steps out of band: before each step it posts to
// <origin>/__conformance/label/<step>, and the Recorder files every
// request that follows under that label (Recorder.Labeled). A golden test
// can then compare the requests drip-go's client sends for the same steps
// with Node's, field by field (Fields flattens a body to dotted paths).
// Set CONFORMANCE_CAPTURE=file.json to write the captures out.
package conformance
