package drip

import (
	"context"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Workflow is a named kind of run.
type Workflow struct {
	ID             string
	Name           string
	Slug           string
	ProductSurface string
	Description    string
	IsActive       bool
	CreatedAt      time.Time
}

// ListWorkflows lists the workflows (GET /workflows).
func (c *Client) ListWorkflows(ctx context.Context) ([]Workflow, error) {
	var out wire.WorkflowList
	if _, err := c.do(ctx, request{op: "ListWorkflows", method: "GET", path: "/workflows", out: &out}); err != nil {
		return nil, err
	}
	ws := make([]Workflow, len(out.Data))
	for i := range out.Data {
		ws[i] = workflowFromWire(&out.Data[i])
	}
	return ws, nil
}

// WorkflowParams creates a workflow.
type WorkflowParams struct {
	Name           string
	Slug           string
	ProductSurface string // API, RPC, WEBHOOK, AGENT, PIPELINE or CUSTOM (default)
	Description    string
	Metadata       map[string]any
}

// CreateWorkflow creates a workflow (POST /workflows).
func (c *Client) CreateWorkflow(ctx context.Context, p WorkflowParams) (*Workflow, error) {
	const op = "CreateWorkflow"
	if strings.TrimSpace(p.Name) == "" {
		return nil, validationError(op, "name", "name is required")
	}
	if strings.TrimSpace(p.Slug) == "" {
		return nil, validationError(op, "slug", "slug is required")
	}
	if err := checkIDs(op, "name", p.Name, "slug", p.Slug); err != nil {
		return nil, err
	}
	if err := checkString(op, "description", p.Description, MaxDescriptionLength); err != nil {
		return nil, err
	}
	if err := checkMetadata(op, "metadata", p.Metadata); err != nil {
		return nil, err
	}
	if p.ProductSurface == "" {
		p.ProductSurface = "CUSTOM"
	}
	body := wire.CreateWorkflowRequest{Name: p.Name, Slug: p.Slug, ProductSurface: p.ProductSurface,
		Description: p.Description, Metadata: c.guard.filter(p.Metadata)}
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
	}
	var out wire.Workflow
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/workflows", body: &body, out: &out}); err != nil {
		return nil, err
	}
	w := workflowFromWire(&out)
	return &w, nil
}

// resolveWorkflow finds a workflow by id or slug, creating the slug.
func (c *Client) resolveWorkflow(ctx context.Context, idOrSlug string) (*Workflow, error) {
	ws, err := c.ListWorkflows(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i].Slug == idOrSlug || ws[i].ID == idOrSlug {
			return &ws[i], nil
		}
	}
	return c.CreateWorkflow(ctx, WorkflowParams{Name: slugTitle(idOrSlug), Slug: idOrSlug, ProductSurface: "CUSTOM"})
}

// slugTitle turns "my_agent-v2" into "My Agent V2", as the official clients
// name auto-created workflows.
func slugTitle(slug string) string {
	words := strings.FieldsFunc(slug, func(r rune) bool { return r == '_' || r == '-' || r == ' ' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
