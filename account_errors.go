package drip

// CodeInvalidState is the API's code for a transition a resource's status
// does not allow: resuming a subscription that is not paused or changing a
// cancelled one (409), rolling back a plan change that is no longer
// APPLIED (400).
const CodeInvalidState = "INVALID_STATE"

// ErrInvalidState matches INVALID_STATE, for errors.Is.
var ErrInvalidState = sentinel(0, "not allowed in the resource's current state", CodeInvalidState)
