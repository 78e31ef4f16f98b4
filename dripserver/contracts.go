package dripserver

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// Contracts are per-customer pricing. The contract in effect for a charge
// is the customer's ACTIVE contract whose [startDate, endDate) holds the
// clock (the latest started, when several do). In it:
//
//   - an override (unitType → unitPriceUsdc) replaces the pricing plan's
//     unit price for that customer, and prices the unit type even without a
//     plan;
//   - includedUnits of a unit type are free within each billing period (the
//     customer's subscription period, else the UTC month);
//   - discountPct comes off every usage charge.
//
// minimumUsdc, maximumUsdc, prepaidAmountUsdc and prepaidRollover are
// stored and returned, not enforced: dripd makes no true-up or cap from
// them. prepaidBalanceUsdc starts at prepaidAmountUsdc. A contract whose
// endDate has passed reads as EXPIRED; DELETE cancels a contract (it stays
// readable as CANCELLED).

// Contract statuses.
const (
	contractActive    = "ACTIVE"
	contractExpired   = "EXPIRED"
	contractCancelled = "CANCELLED"
)

var contractStatuses = []string{contractActive, contractExpired, contractCancelled}

// contractOverride is one unit price of a contract.
type contractOverride struct {
	UnitType  string `json:"unitType"`
	UnitPrice string `json:"unitPrice"`
}

// contract is a stored contract. Amounts are exact decimals ("" when
// unset).
type contract struct {
	ID              string             `json:"id"`
	CustomerID      string             `json:"customerId"`
	Name            string             `json:"name"`
	Status          string             `json:"status"`
	StartDate       time.Time          `json:"startDate"`
	EndDate         time.Time          `json:"endDate"`
	Minimum         string             `json:"minimum,omitempty"`
	Maximum         string             `json:"maximum,omitempty"`
	DiscountPct     string             `json:"discountPct,omitempty"`
	PrepaidAmount   string             `json:"prepaidAmount,omitempty"`
	PrepaidBalance  string             `json:"prepaidBalance,omitempty"`
	PrepaidRollover bool               `json:"prepaidRollover"`
	IncludedUnits   map[string]int64   `json:"includedUnits,omitempty"`
	Metadata        map[string]any     `json:"metadata,omitempty"`
	Overrides       []contractOverride `json:"overrides"`
	CreatedAt       time.Time          `json:"createdAt"`
	UpdatedAt       time.Time          `json:"updatedAt"`
}

func (ct *contract) override(unitType string) (contractOverride, bool) {
	for _, o := range ct.Overrides {
		if o.UnitType == unitType {
			return o, true
		}
	}
	return contractOverride{}, false
}

// setOverride adds or replaces the price of unitType.
func (ct *contract) setOverride(unitType, price string) {
	for i := range ct.Overrides {
		if ct.Overrides[i].UnitType == unitType {
			ct.Overrides[i].UnitPrice = price
			return
		}
	}
	ct.Overrides = append(ct.Overrides, contractOverride{UnitType: unitType, UnitPrice: price})
}

// current returns ct as of now: an ACTIVE contract past its end reads
// EXPIRED.
func (ct contract) current(now time.Time) contract {
	if ct.Status == contractActive && !ct.EndDate.IsZero() && !now.Before(ct.EndDate) {
		ct.Status = contractExpired
	}
	return ct
}

func (ct *contract) inEffect(now time.Time) bool {
	return ct.Status == contractActive && !now.Before(ct.StartDate) && (ct.EndDate.IsZero() || now.Before(ct.EndDate))
}

func (t *txn) saveContract(ct contract) error {
	return t.putAccountDoc(tableContracts, ct.ID, ct.CustomerID, ct.Status, ct)
}

// contractInEffect returns the customer's contract in effect now, if any.
func (t *txn) contractInEffect(customerID string, now time.Time) (contract, bool, error) {
	cts, _, err := customerDocs[contract](t, tableContracts, customerID, contractActive, false, -1, 0)
	if err != nil {
		return contract{}, false, err
	}
	var best contract
	found := false
	for _, ct := range cts {
		if ct.inEffect(now) && (!found || !ct.StartDate.Before(best.StartDate)) {
			best, found = ct, true
		}
	}
	return best, found, nil
}

// contractTerms are the validated optional terms of a create or update.
type contractTerms struct {
	name                       *string
	endDate                    *time.Time
	minimum, maximum, discount *string
	prepaidRollover            *bool
	includedUnits              map[string]int64
	metadata                   map[string]any
}

func (ct *contract) apply(tm contractTerms) {
	if tm.name != nil {
		ct.Name = *tm.name
	}
	if tm.endDate != nil {
		ct.EndDate = *tm.endDate
	}
	if tm.minimum != nil {
		ct.Minimum = *tm.minimum
	}
	if tm.maximum != nil {
		ct.Maximum = *tm.maximum
	}
	if tm.discount != nil {
		ct.DiscountPct = *tm.discount
	}
	if tm.prepaidRollover != nil {
		ct.PrepaidRollover = *tm.prepaidRollover
	}
	if tm.includedUnits != nil {
		ct.IncludedUnits = tm.includedUnits
	}
	if tm.metadata != nil {
		ct.Metadata = tm.metadata
	}
}

func (s *service) createContract(ctx context.Context, customerRef, name string, start time.Time, prepaid string, tm contractTerms) (ct contract, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		ct = contract{ID: newID(prefixContract), CustomerID: c.ID, Name: name, Status: contractActive, StartDate: start,
			PrepaidAmount: prepaid, PrepaidBalance: prepaid, Overrides: []contractOverride{}, CreatedAt: now, UpdatedAt: now}
		ct.apply(tm)
		if !ct.EndDate.IsZero() && !ct.EndDate.After(ct.StartDate) {
			return errValidation("endDate", "endDate must be after startDate")
		}
		return t.saveContract(ct)
	})
	return ct, err
}

// withContract runs fn on contract id and stores it; fn == nil reads.
func (s *service) withContract(ctx context.Context, id string, fn func(ct *contract) error) (ct contract, err error) {
	now := s.now()
	run := s.store.view
	if fn != nil {
		run = s.store.update
	}
	err = run(ctx, func(t *txn) error {
		var ok bool
		if ct, ok, err = docByID[contract](t, tableContracts, id); err != nil || !ok {
			if err == nil {
				err = errNotFound("contract %q not found", id)
			}
			return err
		}
		ct = ct.current(now)
		if fn == nil {
			return nil
		}
		if err := fn(&ct); err != nil {
			return err
		}
		ct.UpdatedAt = now
		return t.saveContract(ct)
	})
	return ct, err
}

func (s *service) listContracts(ctx context.Context, customerRef, status string) (out []contract, err error) {
	now := s.now()
	err = s.store.view(ctx, func(t *txn) error {
		customerID := ""
		if customerRef != "" {
			c, err := t.resolveCustomer(customerRef)
			if err != nil {
				return err
			}
			customerID = c.ID
		}
		all, _, err := customerDocs[contract](t, tableContracts, customerID, "", false, -1, 0)
		if err != nil {
			return err
		}
		out = []contract{}
		for _, ct := range all {
			if ct = ct.current(now); status == "" || ct.Status == status {
				out = append(out, ct)
			}
		}
		return nil
	})
	return out, err
}

func (s *service) updateContract(ctx context.Context, id string, tm contractTerms) (contract, error) {
	return s.withContract(ctx, id, func(ct *contract) error {
		if ct.Status == contractCancelled {
			return errInvalidState("contract %s is CANCELLED and cannot be changed", ct.ID)
		}
		ct.apply(tm)
		if !ct.EndDate.IsZero() && !ct.EndDate.After(ct.StartDate) {
			return errValidation("endDate", "endDate must be after startDate")
		}
		return nil
	})
}

// deleteContract cancels a contract; cancelling again changes nothing.
func (s *service) deleteContract(ctx context.Context, id string) error {
	_, err := s.withContract(ctx, id, func(ct *contract) error {
		ct.Status = contractCancelled
		return nil
	})
	return err
}

func (s *service) addContractOverride(ctx context.Context, id, unitType, price string) (contract, error) {
	return s.withContract(ctx, id, func(ct *contract) error {
		if ct.Status == contractCancelled {
			return errInvalidState("contract %s is CANCELLED and cannot be changed", ct.ID)
		}
		ct.setOverride(unitType, price)
		return nil
	})
}

func (s *service) removeContractOverride(ctx context.Context, id, unitType string) error {
	_, err := s.withContract(ctx, id, func(ct *contract) error {
		i := slices.IndexFunc(ct.Overrides, func(o contractOverride) bool { return o.UnitType == unitType })
		if i < 0 {
			return errNotFound("contract %s has no override for unitType %q", ct.ID, unitType)
		}
		ct.Overrides = slices.Delete(ct.Overrides, i, i+1)
		return nil
	})
	return err
}

// --- handlers

// usdcAmount reads an optional USDC amount: a decimal ≥ 0 with at most 6
// decimals, stored with 6.
func usdcAmount(field, v string) (*string, error) {
	if v == "" {
		return nil, nil
	}
	r, err := money.Parse(v)
	if err != nil || r.Sign() < 0 {
		return nil, errValidation(field, "%s must be a decimal ≥ 0, not %q", field, v)
	}
	if p := money.Places(r); p < 0 || p > money.USDCPlaces {
		return nil, errValidation(field, "%s may have at most 6 decimals, not %q", field, v)
	}
	s := usdc(r)
	return &s, nil
}

// percent reads an optional discount percentage from 0 to 100.
func percent(field, v string) (*string, error) {
	if v == "" {
		return nil, nil
	}
	r, err := money.Parse(v)
	if err != nil || r.Sign() < 0 || r.Cmp(rat("100")) > 0 {
		return nil, errValidation(field, "%s must be a number from 0 to 100, not %q", field, v)
	}
	s := money.Exact(r)
	return &s, nil
}

func checkUnits(field string, m map[string]int64) error {
	for k, v := range m {
		if v < 0 {
			return errValidation(field+"."+k, "%s.%s must be ≥ 0", field, k)
		}
	}
	return nil
}

// terms validates the optional terms shared by create and update.
func terms(endDate, minimum, maximum, discount string, rollover *bool, units map[string]int64, meta map[string]any) (tm contractTerms, err error) {
	if endDate != "" {
		var end time.Time
		if end, err = parsePeriod("endDate", endDate); err != nil {
			return tm, err
		}
		tm.endDate = &end
	}
	if tm.minimum, err = usdcAmount("minimumUsdc", minimum); err != nil {
		return tm, err
	}
	if tm.maximum, err = usdcAmount("maximumUsdc", maximum); err != nil {
		return tm, err
	}
	if tm.minimum != nil && tm.maximum != nil && rat(*tm.maximum).Cmp(rat(*tm.minimum)) < 0 {
		return tm, errValidation("maximumUsdc", "maximumUsdc must be ≥ minimumUsdc")
	}
	if tm.discount, err = percent("discountPct", discount); err != nil {
		return tm, err
	}
	if err = checkUnits("includedUnits", units); err != nil {
		return tm, err
	}
	tm.prepaidRollover, tm.includedUnits, tm.metadata = rollover, units, meta
	return tm, nil
}

func (s *Server) createContract(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateContractRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("customerId", req.CustomerID), required("name", req.Name), required("startDate", req.StartDate))
	}
	var start time.Time
	if err == nil {
		start, err = parsePeriod("startDate", req.StartDate)
	}
	var tm contractTerms
	if err == nil {
		tm, err = terms(req.EndDate, req.MinimumUsdc, req.MaximumUsdc, req.DiscountPct.String(), req.PrepaidRollover,
			req.IncludedUnits, req.Metadata)
	}
	var prepaid *string
	if err == nil {
		prepaid, err = usdcAmount("prepaidAmountUsdc", req.PrepaidAmountUsdc)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := ""
	if prepaid != nil {
		p = *prepaid
	}
	ct, err := s.svc.createContract(r.Context(), req.CustomerID, req.Name, start, p, tm)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, contractWire(ct))
}

func (s *Server) listContracts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if st := q.Get("status"); st != "" {
		if err := oneOf("status", st, contractStatuses...); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	cts, err := s.svc.listContracts(r.Context(), q.Get("customerId"), q.Get("status"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.ContractList{Contracts: make([]wire.Contract, len(cts))}
	for i, ct := range cts {
		out.Contracts[i] = contractWire(ct)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) replyContract(w http.ResponseWriter, r *http.Request, ct contract, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contractWire(ct))
}

func (s *Server) getContract(w http.ResponseWriter, r *http.Request) {
	ct, err := s.svc.withContract(r.Context(), r.PathValue("id"), nil)
	s.replyContract(w, r, ct, err)
}

func (s *Server) updateContract(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdateContractRequest
	err := decode(r, &req)
	var tm contractTerms
	if err == nil && req.Name != nil && *req.Name == "" {
		err = errValidation("name", "name must not be empty")
	}
	if err == nil {
		tm, err = terms(req.EndDate, req.MinimumUsdc, req.MaximumUsdc, req.DiscountPct.String(), req.PrepaidRollover,
			req.IncludedUnits, req.Metadata)
		tm.name = req.Name
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ct, err := s.svc.updateContract(r.Context(), r.PathValue("id"), tm)
	s.replyContract(w, r, ct, err)
}

func (s *Server) deleteContract(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.deleteContract(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ContractDeleteResult{Success: true})
}

func (s *Server) addContractOverride(w http.ResponseWriter, r *http.Request) {
	var req wire.ContractOverrideRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("unitType", req.UnitType), required("unitPriceUsd", req.UnitPriceUsd))
	}
	var price string
	if err == nil {
		price = mustPrice("unitPriceUsd", req.UnitPriceUsd, &err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.svc.addContractOverride(r.Context(), r.PathValue("id"), req.UnitType, price); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.ContractOverride{UnitType: req.UnitType, UnitPriceUsdc: usdc(rat(price))})
}

func (s *Server) removeContractOverride(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.removeContractOverride(r.Context(), r.PathValue("id"), r.PathValue("unitType")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ContractDeleteResult{Success: true})
}

func contractWire(ct contract) wire.Contract {
	out := wire.Contract{ID: ct.ID, CustomerID: ct.CustomerID, Name: ct.Name, Status: ct.Status,
		StartDate: formatTime(ct.StartDate), EndDate: timePtr(ct.EndDate), MinimumUsdc: strPtr(ct.Minimum),
		MaximumUsdc: strPtr(ct.Maximum), PrepaidAmountUsdc: strPtr(ct.PrepaidAmount),
		PrepaidBalanceUsdc: strPtr(ct.PrepaidBalance), PrepaidRollover: ct.PrepaidRollover, IncludedUnits: ct.IncludedUnits,
		Metadata: ct.Metadata, Overrides: make([]wire.ContractOverride, len(ct.Overrides)),
		CreatedAt: formatTime(ct.CreatedAt), UpdatedAt: formatTime(ct.UpdatedAt)}
	if ct.DiscountPct != "" {
		n := ratNumber(rat(ct.DiscountPct))
		out.DiscountPct = &n
	}
	for i, o := range ct.Overrides {
		out.Overrides[i] = wire.ContractOverride{UnitType: o.UnitType, UnitPriceUsdc: usdc(rat(o.UnitPrice))}
	}
	return out
}
