package main

import (
	"context"
	"flag"
	"io"

	drip "github.com/drip-sdk/drip-go"
)

var (
	cmdCustomersList   = command{name: "customers list", summary: "list customers, newest first", define: defineCustomersList}
	cmdCustomersGet    = command{name: "customers get", args: "<customer-id>", nargs: 1, summary: "show one customer", define: defineCustomersGet}
	cmdCustomersCreate = command{name: "customers create", summary: "create a customer (--external-id or --onchain-address)", define: defineCustomersCreate}
)

// customerJSON is a customer in --json output.
type customerJSON struct {
	ID                 string         `json:"id"`
	ExternalCustomerID string         `json:"externalCustomerId,omitempty"`
	OnchainAddress     string         `json:"onchainAddress,omitempty"`
	IsInternal         bool           `json:"isInternal"`
	Status             string         `json:"status,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
	CreatedAt          string         `json:"createdAt,omitempty"`
	UpdatedAt          string         `json:"updatedAt,omitempty"`
}

func customerOut(c *drip.Customer) customerJSON {
	return customerJSON{ID: c.ID, ExternalCustomerID: c.ExternalCustomerID, OnchainAddress: c.OnchainAddress,
		IsInternal: c.IsInternal, Status: c.Status, Metadata: c.Metadata,
		CreatedAt: timestamp(c.CreatedAt), UpdatedAt: timestamp(c.UpdatedAt)}
}

func defineCustomersList(fs *flag.FlagSet) runner {
	status := fs.String("status", "", "only customers with this status: ACTIVE, LOW_BALANCE or PAUSED")
	limit := fs.Int("limit", 100, "show at most this many (pages are fetched as needed)")
	return func(ctx context.Context, a *app, _ []string) error {
		if *limit < 1 {
			return usageErrorf("--limit must be at least 1")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		out := list[customerJSON]{Data: []customerJSON{}}
		for cu, err := range c.Customers(ctx, &drip.ListCustomersParams{Status: *status, Limit: min(*limit, 100)}) {
			if err != nil {
				return err
			}
			out.Data = append(out.Data, customerOut(&cu))
			if len(out.Data) == *limit {
				break
			}
		}
		out.Count = len(out.Data)
		return a.emit(out, func(w io.Writer) {
			if out.Count == 0 {
				row(w, "no customers yet: create one with drip customers create --external-id <your-id>")
				return
			}
			row(w, "ID", "EXTERNAL ID", "STATUS", "INTERNAL", "ONCHAIN ADDRESS", "CREATED")
			for _, cu := range out.Data {
				row(w, cu.ID, dash(cu.ExternalCustomerID), dash(cu.Status), cu.IsInternal, dash(cu.OnchainAddress), when(parseTS(cu.CreatedAt)))
			}
		})
	}
}

func defineCustomersGet(*flag.FlagSet) runner {
	return func(ctx context.Context, a *app, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		cu, err := c.GetCustomer(ctx, args[0])
		if err != nil {
			return err
		}
		return a.emitCustomer(cu)
	}
}

func defineCustomersCreate(fs *flag.FlagSet) runner {
	ext := fs.String("external-id", "", "your id for the customer")
	addr := fs.String("onchain-address", "", "the customer's on-chain address (0x…); a customer with one can be billed")
	internal := fs.Bool("internal", false, "a non-billing customer (usage is recorded, never charged)")
	md := metadataFlag{}
	fs.Var(md, "metadata", "key=value to attach (repeatable); operational context only, never PII")
	return func(ctx context.Context, a *app, _ []string) error {
		if *ext == "" && *addr == "" {
			return usageErrorf("customers create needs --external-id or --onchain-address")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		p := drip.CustomerParams{ExternalCustomerID: *ext, OnchainAddress: *addr, IsInternal: *internal}
		if len(md) > 0 {
			p.Metadata = md
		}
		cu, err := c.CreateCustomer(ctx, p)
		if err != nil {
			return err
		}
		return a.emitCustomer(cu)
	}
}

func (a *app) emitCustomer(cu *drip.Customer) error {
	out := customerOut(cu)
	return a.emit(out, func(w io.Writer) {
		row(w, "id", out.ID)
		row(w, "external id", dash(out.ExternalCustomerID))
		row(w, "onchain address", dash(out.OnchainAddress))
		row(w, "status", dash(out.Status))
		row(w, "internal", out.IsInternal)
		if len(out.Metadata) > 0 {
			row(w, "metadata", kv(out.Metadata))
		}
		row(w, "created", when(cu.CreatedAt))
	})
}
