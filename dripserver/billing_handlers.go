package dripserver

import (
	"math"
	"net/http"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// --- pricing plans

func (s *Server) listPricingPlans(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.listPricingPlans(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.PricingPlanList{Data: make([]wire.PricingPlan, len(ps)), Count: len(ps)}
	for i, p := range ps {
		out.Data[i] = planWire(p)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPricingPlan(w http.ResponseWriter, r *http.Request) {
	s.replyPlan(w, r, r.PathValue("id"), "")
}

func (s *Server) getPricingPlanByType(w http.ResponseWriter, r *http.Request) {
	s.replyPlan(w, r, "", r.PathValue("unitType"))
}

func (s *Server) replyPlan(w http.ResponseWriter, r *http.Request, id, unitType string) {
	p, err := s.svc.getPricingPlan(r.Context(), id, unitType)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, planWire(p))
}

func (s *Server) createPricingPlan(w http.ResponseWriter, r *http.Request) {
	var req wire.CreatePricingPlanRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("name", req.Name), required("unitType", req.UnitType),
			required("unitPriceUsd", req.UnitPriceUsd.String()))
	}
	if req.PricingModel == "" {
		req.PricingModel = pricingFlat
	}
	if err == nil {
		err = checkPricingModel(req.PricingModel, req.Tiers)
	}
	var price string
	if err == nil {
		price = mustPrice("unitPriceUsd", req.UnitPriceUsd.String(), &err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.createPricingPlan(r.Context(), PricingPlan{Name: req.Name, UnitType: req.UnitType, UnitPrice: price,
		PricingModel: req.PricingModel, IsActive: req.IsActive == nil || *req.IsActive})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, planWire(p))
}

// mustPrice checks a unit price, setting *err on failure, and returns its
// stored form.
func mustPrice(field, v string, err *error) string {
	r, e := checkUnitPrice(field, v)
	if e != nil {
		*err = e
		return ""
	}
	return money.Exact(r)
}

func (s *Server) updatePricingPlan(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdatePricingPlanRequest
	err := decode(r, &req)
	var ch planChange
	if err == nil && req.Name != "" {
		ch.name = &req.Name
	}
	if err == nil && req.PricingModel != "" {
		err = checkPricingModel(req.PricingModel, req.Tiers)
		ch.pricingModel = &req.PricingModel
	} else if err == nil && len(req.Tiers) > 0 {
		err = checkPricingModel(pricingFlat, req.Tiers)
	}
	if err == nil && req.UnitPriceUsd != "" {
		price := mustPrice("unitPriceUsd", req.UnitPriceUsd.String(), &err)
		ch.unitPrice = &price
	}
	ch.isActive = req.IsActive
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.updatePricingPlan(r.Context(), r.PathValue("id"), ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, planWire(p))
}

func (s *Server) deletePricingPlan(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.deletePricingPlan(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.DeletePricingPlanResult{Success: true})
}

// --- charges

func (s *Server) listCharges(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 100, 1, 100)
	offset, err2 := queryInt(r, "offset", 0, 0, math.MaxInt)
	status := r.URL.Query().Get("status")
	var err3 error
	if status != "" {
		err3 = oneOf("status", status, chargeStatuses...)
	}
	if err := firstErr(err, err2, err3); err != nil {
		s.fail(w, r, err)
		return
	}
	cs, total, err := s.svc.listCharges(r.Context(), r.URL.Query().Get("customerId"), status, limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.ChargeList{Data: make([]wire.Charge, len(cs)), Count: total}
	for i, c := range cs {
		out.Data[i] = chargeWire(c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCharge(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.getCharge(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, chargeWire(c))
}

// --- balances

func (s *Server) getBalance(w http.ResponseWriter, r *http.Request) {
	b, err := s.svc.getBalance(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, balanceWire(b))
}

func (s *Server) syncBalance(w http.ResponseWriter, r *http.Request) {
	if err := decode(r, &struct{}{}); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.svc.syncBalance(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.SyncBalanceResult{Balance: b.balance.Balance})
}

func (s *Server) provisionCustomer(w http.ResponseWriter, r *http.Request) {
	if err := decode(r, &struct{}{}); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.provisionCustomer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, customerWire(c))
}

// --- spending caps

func (s *Server) setSpendingCap(w http.ResponseWriter, r *http.Request) {
	var req wire.SpendingCapRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("capType", req.CapType), required("limitValue", req.LimitValue.String()))
	}
	if err == nil {
		err = oneOf("capType", req.CapType, capTypes...)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lim, perr := money.Parse(req.LimitValue.String())
	if perr != nil || lim.Sign() <= 0 {
		s.fail(w, r, errValidation("limitValue", "limitValue must be a number > 0 (USDC), not %q", req.LimitValue.String()))
		return
	}
	cp, err := s.svc.setSpendingCap(r.Context(), r.PathValue("id"), req.CapType, lim, req.AutoBlock == nil || *req.AutoBlock)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, capWire(cp))
}

func (s *Server) listSpendingCaps(w http.ResponseWriter, r *http.Request) {
	caps, err := s.svc.listSpendingCaps(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.SpendingCapList{Caps: make([]wire.SpendingCap, len(caps))}
	for i, c := range caps {
		out.Caps[i] = capWire(c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) removeSpendingCap(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.removeSpendingCap(r.Context(), r.PathValue("id"), r.PathValue("capId")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RemoveSpendingCapResult{Success: true})
}

// --- cost estimates

// checkPricing validates a price list: every price a decimal ≥ 0.
func checkPricing(field string, prices map[string]string) error {
	for k, v := range prices {
		if _, err := checkEstimatePrice(field+"."+k, v); err != nil {
			return err
		}
	}
	return nil
}

func checkEstimatePrice(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	r, err := money.Parse(v)
	if err != nil || r.Sign() < 0 {
		return "", errValidation(field, "%s must be a decimal string ≥ 0, not %q", field, v)
	}
	return v, nil
}

// parsePeriod reads an ISO-8601 time as the clients send it (Node's
// toISOString, Python's isoformat, which may lack a zone: UTC then).
func parsePeriod(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errValidation(field, "%s is required", field)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errValidation(field, "%s must be an ISO-8601 time such as 2025-01-31T00:00:00Z, not %q", field, v)
}

func (s *Server) estimateFromUsage(w http.ResponseWriter, r *http.Request) {
	var req wire.EstimateFromUsageRequest
	err := decode(r, &req)
	var from, to time.Time
	if err == nil {
		from, err = parsePeriod("periodStart", req.PeriodStart)
	}
	if err == nil {
		to, err = parsePeriod("periodEnd", req.PeriodEnd)
	}
	if err == nil && !to.After(from) {
		err = errValidation("periodEnd", "periodEnd must be after periodStart")
	}
	if err == nil {
		_, err = checkEstimatePrice("defaultUnitPrice", req.DefaultUnitPrice)
	}
	if err == nil {
		err = checkPricing("customPricing", req.CustomPricing)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.estimateFromUsage(r.Context(), req, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) estimateHypothetical(w http.ResponseWriter, r *http.Request) {
	var req wire.EstimateHypotheticalRequest
	err := decode(r, &req)
	if err == nil && len(req.Items) == 0 {
		err = errValidation("items", "items is required: at least one {usageType, quantity}")
	}
	for i := 0; err == nil && i < len(req.Items); i++ {
		err = required(fieldAt("items", i, "usageType"), req.Items[i].UsageType)
		if err == nil {
			_, err = checkEstimatePrice(fieldAt("items", i, "unitPriceOverride"), req.Items[i].UnitPriceOverride)
		}
	}
	if err == nil {
		_, err = checkEstimatePrice("defaultUnitPrice", req.DefaultUnitPrice)
	}
	if err == nil {
		err = checkPricing("customPricing", req.CustomPricing)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.estimateHypothetical(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
