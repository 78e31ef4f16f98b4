package otelbridge

import (
	"github.com/drip-sdk/drip-go/internal/genaimap"
)

// Attribute keys the bridge reads besides the GenAI conventions (which
// internal/genaimap, the rules shared with the Collector exporter, knows).
const (
	// AttrCustomerID names the Drip customer a span's run is for. Set it at
	// span start (trace.WithAttributes): OnStart is the only point where the
	// bridge decides whether to open a run.
	AttrCustomerID = genaimap.AttrCustomerID
	// AttrWorkflow names the Drip workflow (id or slug) of the run a span
	// opens.
	AttrWorkflow = genaimap.AttrWorkflow
	// BaggageCustomerID is the baggage member read for the customer when the
	// span has no AttrCustomerID.
	BaggageCustomerID = genaimap.BaggageCustomerID
)
