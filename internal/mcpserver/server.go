// Package mcpserver is the Model Context Protocol server behind
// cmd/drip-mcp: Drip's usage, run and customer calls as MCP tools with typed
// input schemas and structured results.
//
// Least privilege is decided here, when the tools are registered: a tool a
// key may not call, or a write tool in read-only mode, is not listed at all,
// so an agent never sees it. Every tool of the Drip skill reference (usage,
// runs, events, customers, ping) is allowed for a public pk_ key, so a pk_
// key lists all of them; secretOnly marks the tools that would need an sk_
// key, and none of today's do.
package mcpserver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	drip "github.com/drip-sdk/drip-go"
)

// Name is the server's MCP implementation name.
const Name = "drip-mcp"

// Options configures New.
type Options struct {
	// ReadOnly lists only the tools that read (ping, get run, timeline,
	// get and list customers, balance, charges, entitlement checks,
	// subscriptions, contracts).
	ReadOnly bool
	// KeyType overrides the client's key type (client.KeyType()) when
	// deciding which tools to list.
	KeyType drip.KeyType
	// Version is reported to clients (default drip.Version).
	Version string
	// Logger logs server activity (default: none).
	Logger *slog.Logger
}

// Instructions is what the server tells a connecting agent about itself.
const Instructions = `Drip meters usage and bills customers for AI agents and APIs.
Record billable usage with drip_track_usage; record a finished agent run with its events in one call with drip_record_run, or stream one with drip_start_run, drip_emit_event and drip_end_run.
Pass an idempotencyKey and reuse it when you retry a write, so nothing is counted twice.
Metadata is for operational context only (model name, tool name, status code, latency): never put PII, secrets, credentials, prompts or model outputs in it; such keys and values are dropped.`

// New returns an MCP server whose tools call Drip through client. Which
// tools it lists depends on the key type and opts.ReadOnly; see ToolNames.
func New(client *drip.Client, opts Options) *mcp.Server {
	if opts.Version == "" {
		opts.Version = drip.Version
	}
	kt := opts.KeyType
	if kt == "" {
		kt = client.KeyType()
	}
	s := mcp.NewServer(&mcp.Implementation{Name: Name, Title: "Drip", Version: opts.Version},
		&mcp.ServerOptions{Instructions: Instructions, Logger: opts.Logger})
	for _, t := range tools {
		if t.allowed(kt, opts.ReadOnly) {
			t.add(s, client)
		}
	}
	return s
}

// ToolNames returns the names New lists for a key type and mode, in
// registration order.
func ToolNames(kt drip.KeyType, readOnly bool) []string {
	var out []string
	for _, t := range tools {
		if t.allowed(kt, readOnly) {
			out = append(out, t.name)
		}
	}
	return out
}

// toolDef is one tool: its name, what it may do, and how it registers.
type toolDef struct {
	name       string
	readOnly   bool // only reads: listed in read-only mode
	secretOnly bool // needs an sk_ key: hidden for pk_ keys
	add        func(s *mcp.Server, c *drip.Client)
}

func (t toolDef) allowed(kt drip.KeyType, readOnly bool) bool {
	if readOnly && !t.readOnly {
		return false
	}
	if t.secretOnly && kt != drip.KeySecret {
		return false
	}
	return true
}

// handlerFunc is a tool's logic, free of MCP types.
type handlerFunc[In, Out any] func(ctx context.Context, c *drip.Client, in In) (Out, error)

// tool builds a toolDef: the input schema is inferred from In and then
// tightened by constrain (enums, minimums, required non-empty strings);
// errors become MCP tool errors carrying Drip's code and message.
func tool[In, Out any](name, desc string, readOnly bool, constrain func(*jsonschema.Schema), h handlerFunc[In, Out]) toolDef {
	return toolDef{name: name, readOnly: readOnly, add: func(s *mcp.Server, c *drip.Client) {
		in, err := jsonschema.For[In](nil)
		if err != nil {
			panic(fmt.Sprintf("mcpserver: %s input schema: %v", name, err)) // a bug, caught by tests
		}
		describeMetadata(in)
		if constrain != nil {
			constrain(in)
		}
		ann := &mcp.ToolAnnotations{ReadOnlyHint: readOnly}
		if !readOnly {
			ann.DestructiveHint = new(false) // writes only add records
		}
		mcp.AddTool(s, &mcp.Tool{Name: name, Description: desc, InputSchema: in, Annotations: ann},
			func(ctx context.Context, _ *mcp.CallToolRequest, args In) (*mcp.CallToolResult, Out, error) {
				out, err := h(ctx, c, args)
				if err != nil {
					var zero Out
					return nil, zero, toolError(err)
				}
				redactOut(&out)
				return nil, out, nil
			})
	}}
}

// describeMetadata gives every metadata property the same warning.
func describeMetadata(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	for name, p := range s.Properties {
		if name == "metadata" {
			p.Description = "Metadata: " + metadataHelp
		}
		describeMetadata(p)
	}
	describeMetadata(s.Items)
}

// Schema tweaks.

func prop(s *jsonschema.Schema, path ...string) *jsonschema.Schema {
	for _, p := range path {
		if p == "[]" {
			s = s.Items
			continue
		}
		s = s.Properties[p]
	}
	return s
}

func nonEmpty(s *jsonschema.Schema, names ...string) {
	for _, n := range names {
		prop(s, n).MinLength = new(1)
	}
}

func minimum(s *jsonschema.Schema, v float64, names ...string) {
	for _, n := range names {
		prop(s, n).Minimum = new(v)
	}
}

func enum(s *jsonschema.Schema, name string, values ...string) {
	p := prop(s, name)
	for _, v := range values {
		p.Enum = append(p.Enum, v)
	}
}

var endStatuses = []string{string(drip.RunCompleted), string(drip.RunFailed), string(drip.RunCancelled), string(drip.RunTimeout)}

func constrainEvent(e *jsonschema.Schema) {
	nonEmpty(e, "eventType")
	minimum(e, 0, "inputTokens", "outputTokens", "duration", "quantity", "costUnits")
	enum(e, "status", drip.StatusSuccess, drip.StatusError)
}

// toolError turns an error into the text of an MCP tool error: the Drip
// code, the HTTP status when there was one, the message and the offending
// field. Never the API key.
func toolError(err error) error {
	var b strings.Builder
	if e, ok := drip.AsError(err); ok {
		b.WriteString("Drip error ")
		b.WriteString(e.Code)
		if e.StatusCode != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
		}
		b.WriteString(": ")
		b.WriteString(e.Message)
		if e.Field != "" {
			fmt.Fprintf(&b, " [field: %s]", e.Field)
		}
		if e.ExistingCustomerID != "" {
			fmt.Fprintf(&b, " [existingCustomerId: %s]", e.ExistingCustomerID)
		}
	} else {
		b.WriteString(err.Error())
	}
	return &toolErr{msg: redactKeys(b.String())}
}

type toolErr struct{ msg string }

func (e *toolErr) Error() string { return e.msg }
