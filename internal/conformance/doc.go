// Package conformance checks dripd and drip-go against the official Drip
// Node client, @drip-sdk/node, pinned in testdata/node/package.json.
//
// The test (conformance_test.go) starts a dripd, installs the Node client
// with npm into testdata/node/node_modules when it is missing (gitignored),
// and runs testdata/node/conformance.mjs, which calls the client's methods
// in a fixed order and asserts on every reply. billing_test.go does the
// same with testdata/node/billing.mjs for the billing methods (balances,
// charges, spending caps, entitlements, meters, cost estimates, execution
// events, webhooks, stream meters), with a public key for the key-scoping
// steps and a webhook receiver that checks each delivery with Node's own
// signature helper. Without node or npm the tests skip, except under
// CI=true, where they fail.
//
// Captured requests. The dripd in the test sits behind a Recorder, which
// saves each request the client sends: method, path, query, headers (minus
// Authorization) and JSON body. The Node client cannot add headers, so the
// script names its steps out of band: before each step it posts to
// <origin>/__conformance/label/<step>, and the Recorder files every
// request that follows under that label (Recorder.Labeled). A golden test
// can then compare the requests drip-go's client sends for the same steps
// with Node's, field by field (Fields flattens a body to dotted paths);
// golden_test.go lists the differences allowed and why. Set
// CONFORMANCE_CAPTURE=file.json to write the captures out (Node's and
// drip-go's, one file each).
package conformance
