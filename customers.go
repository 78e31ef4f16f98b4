package drip

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Customer is a Drip customer.
type Customer struct {
	ID                 string
	ExternalCustomerID string
	OnchainAddress     string
	IsInternal         bool
	Status             string
	Metadata           map[string]any
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// CustomerParams creates a customer. At least one of ExternalCustomerID and
// OnchainAddress is required.
type CustomerParams struct {
	ExternalCustomerID string
	OnchainAddress     string
	// IsInternal marks a non-billing customer.
	IsInternal bool
	Metadata   map[string]any
}

// CreateCustomer creates a customer (POST /customers). A duplicate
// ExternalCustomerID is ErrDuplicateCustomer, with ExistingCustomerID set on
// the *Error; GetOrCreateCustomer handles that for you.
func (c *Client) CreateCustomer(ctx context.Context, p CustomerParams) (*Customer, error) {
	const op = "CreateCustomer"
	if strings.TrimSpace(p.ExternalCustomerID) == "" && strings.TrimSpace(p.OnchainAddress) == "" {
		return nil, validationError(op, "externalCustomerId", "externalCustomerId or onchainAddress is required")
	}
	if err := checkIDs(op, "externalCustomerId", p.ExternalCustomerID, "onchainAddress", p.OnchainAddress); err != nil {
		return nil, err
	}
	if err := checkMetadata(op, "metadata", p.Metadata); err != nil {
		return nil, err
	}
	body := wire.CreateCustomerRequest{
		ExternalCustomerID: p.ExternalCustomerID,
		OnchainAddress:     p.OnchainAddress,
		Metadata:           c.guard.filter(p.Metadata),
	}
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
	}
	if p.IsInternal {
		t := true
		body.IsInternal = &t
	}
	var out wire.Customer
	info, err := c.do(ctx, request{op: op, method: "POST", path: "/customers", body: &body, out: &out})
	if e, ok := AsError(err); ok && e.Code == CodeDuplicateCustomer && info.uncertain && e.ExistingCustomerID != "" {
		// An earlier attempt created it and its reply was lost: that
		// customer is ours, not a conflict.
		return c.GetCustomer(ctx, e.ExistingCustomerID)
	}
	if err != nil {
		return nil, err
	}
	cu := customerFromWire(&out)
	return &cu, nil
}

// GetCustomer returns a customer by Drip id (GET /customers/{id}).
func (c *Client) GetCustomer(ctx context.Context, id string) (*Customer, error) {
	const op = "GetCustomer"
	if strings.TrimSpace(id) == "" {
		return nil, validationError(op, "customerId", "customer id is required")
	}
	if err := checkIDs(op, "customerId", id); err != nil {
		return nil, err
	}
	var out wire.Customer
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/customers/" + url.PathEscape(id), out: &out}); err != nil {
		return nil, err
	}
	cu := customerFromWire(&out)
	return &cu, nil
}

// GetOrCreateCustomer returns the customer with this external id, creating
// it when it does not exist (a 409 resolves to the existing customer).
func (c *Client) GetOrCreateCustomer(ctx context.Context, externalID string, metadata map[string]any) (*Customer, error) {
	cu, err := c.CreateCustomer(ctx, CustomerParams{ExternalCustomerID: externalID, Metadata: metadata})
	if err == nil {
		return cu, nil
	}
	e, ok := AsError(err)
	if !ok || e.Code != CodeDuplicateCustomer {
		return nil, err
	}
	if e.ExistingCustomerID != "" {
		return c.GetCustomer(ctx, e.ExistingCustomerID)
	}
	for cu, err := range c.Customers(ctx, nil) {
		if err != nil {
			return nil, err
		}
		if cu.ExternalCustomerID == externalID {
			return &cu, nil
		}
	}
	return nil, &Error{Op: "GetOrCreateCustomer", StatusCode: 409, Code: CodeCustomerResolution,
		Message: "customer exists but could not be found", Err: errors.Join(err)}
}

// ListCustomersParams pages and filters ListCustomers.
type ListCustomersParams struct {
	// Limit is 1–100 (server default 100).
	Limit  int
	Offset int
	// Status filters by ACTIVE, LOW_BALANCE or PAUSED.
	Status string
}

// CustomerList is one page of customers.
type CustomerList struct {
	Customers []Customer
	// Count is the number of customers in this page, as the API reports it.
	Count int
}

// ListCustomers returns one page of customers (GET /customers). Use
// Customers to walk every page.
func (c *Client) ListCustomers(ctx context.Context, p *ListCustomersParams) (*CustomerList, error) {
	const op = "ListCustomers"
	if p == nil {
		p = &ListCustomersParams{}
	}
	path, err := listPath(op, "/customers", p.Limit, p.Offset, "status", p.Status)
	if err != nil {
		return nil, err
	}
	var out wire.CustomerList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	l := &CustomerList{Customers: make([]Customer, len(out.Data)), Count: out.Count}
	for i := range out.Data {
		l.Customers[i] = customerFromWire(&out.Data[i])
	}
	return l, nil
}

// Customers iterates over every customer matching p, page by page. Iteration
// stops at the first error, which is yielded.
func (c *Client) Customers(ctx context.Context, p *ListCustomersParams) iter.Seq2[Customer, error] {
	q := ListCustomersParams{}
	if p != nil {
		q = *p
	}
	return offsetPages(q.Limit, q.Offset, func(limit, offset int) ([]Customer, int, error) {
		q.Limit, q.Offset = limit, offset
		page, err := c.ListCustomers(ctx, &q)
		if err != nil {
			return nil, 0, err
		}
		return page.Customers, -1, nil
	})
}
