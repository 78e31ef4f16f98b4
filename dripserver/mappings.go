package dripserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// Payload mappings and ingest. A mapping names a source (a slug, unique),
// the usage type every event gets, and paths (jsonpath.go) that select the
// customer, the quantity, optionally the idempotency key, and metadata
// from a payload. POST /v1/ingest/{sourceName} maps the raw JSON object it
// is given and records the event through the same pipeline as
// POST /v1/usage/internal: the customer is resolved by internal or
// external id, the key deduplicates (a replay records nothing and answers
// replayed true). Without an idempotency path each ingest gets a fresh key.
//
// Errors: a path that is not valid syntax, or that selects nothing or the
// wrong kind of value (the quantity must be a number or a numeric string,
// ≥ 0; the customer and the key a string or number), is 400 MAPPING_FAILED
// with the failing path in the envelope's path field (and the mapping
// field in field); metadata paths the payload lacks are left out instead.
// An unknown source is 404 PAYLOAD_MAPPING_NOT_FOUND, an inactive mapping
// 410 PAYLOAD_MAPPING_INACTIVE. Invalid paths are refused when a mapping
// is created or updated too, the same way.
//
// Each create and update appends a version (1, 2, …) holding the mapping's
// fields as they then were; deleting a mapping deletes its versions.

const (
	tableMappings = "payload_mappings"
	tableVersions = "payload_mapping_versions"
)

// sourceSlug is the form of a source name: it goes into a URL path.
var sourceSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)

// payloadMapping is a stored mapping.
type payloadMapping struct {
	ID                    string            `json:"id"`
	Name                  string            `json:"name"`
	SourceName            string            `json:"sourceName"`
	TargetUnitType        string            `json:"targetUnitType"`
	TargetQuantityPath    string            `json:"targetQuantityPath"`
	TargetCustomerIDPath  string            `json:"targetCustomerIdPath"`
	TargetIdempotencyPath string            `json:"targetIdempotencyPath,omitempty"`
	TargetMetadataMap     map[string]string `json:"targetMetadataMap,omitempty"`
	TargetActionName      string            `json:"targetActionName,omitempty"`
	SampleInput           map[string]any    `json:"sampleInput,omitempty"`
	IsActive              bool              `json:"isActive"`
	Version               int               `json:"version"`
	CreatedAt             time.Time         `json:"createdAt"`
	UpdatedAt             time.Time         `json:"updatedAt"`
}

// mappingVersion is one stored version.
type mappingVersion struct {
	ID        string         `json:"id"`
	Mapping   payloadMapping `json:"mapping"`
	CreatedBy string         `json:"createdBy"`
}

// mappingError is 400 MAPPING_FAILED naming the failing path.
type mappingError struct {
	field, path, message string
}

func (e *mappingError) Error() string { return "400 MAPPING_FAILED: " + e.message }

func mappingFailed(field, path, format string, args ...any) *mappingError {
	return &mappingError{field: field, path: path, message: fmt.Sprintf(format, args...)}
}

func errMappingNotFound(what string) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodePayloadMappingNotFound, message: "no payload mapping " + what}
}

// failMapping writes err, with the MAPPING_FAILED envelope for a
// mappingError.
func (s *Server) failMapping(w http.ResponseWriter, r *http.Request, err error) {
	var me *mappingError
	if errors.As(err, &me) {
		writeJSON(w, http.StatusBadRequest, wire.MappingFailed{Error: http.StatusText(http.StatusBadRequest),
			Message: me.message, Code: CodeMappingFailed, Field: me.field, Path: me.path})
		return
	}
	s.fail(w, r, err)
}

// check validates a mapping's fields: required ones, the source slug and
// every path's syntax.
func (m *payloadMapping) check() error {
	for _, f := range [][2]string{{"name", m.Name}, {"sourceName", m.SourceName}, {"targetUnitType", m.TargetUnitType},
		{"targetQuantityPath", m.TargetQuantityPath}, {"targetCustomerIdPath", m.TargetCustomerIDPath}} {
		if err := required(f[0], f[1]); err != nil {
			return err
		}
	}
	if !sourceSlug.MatchString(m.SourceName) {
		return errValidation("sourceName", "sourceName must be a slug: lowercase letters, digits, - and _, at most 100")
	}
	paths := [][2]string{{"targetQuantityPath", m.TargetQuantityPath}, {"targetCustomerIdPath", m.TargetCustomerIDPath}}
	if m.TargetIdempotencyPath != "" {
		paths = append(paths, [2]string{"targetIdempotencyPath", m.TargetIdempotencyPath})
	}
	for _, k := range sortedKeys(m.TargetMetadataMap) {
		paths = append(paths, [2]string{"targetMetadataMap." + k, m.TargetMetadataMap[k]})
	}
	for _, p := range paths {
		if _, err := parsePath(p[1]); err != nil {
			return mappingFailed(p[0], p[1], "%s %q is not a valid path: %v", p[0], p[1], err)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// apply maps payload (JSON text) to a usage event.
func (m *payloadMapping) apply(payload []byte) (wire.MappedEvent, error) {
	ev := wire.MappedEvent{UsageType: m.TargetUnitType}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return ev, errValidation("payload", "payload is not valid JSON: %v", err)
	}
	sel := func(field, path string) (any, bool, error) {
		steps, err := parsePath(path)
		if err != nil {
			return nil, false, mappingFailed(field, path, "%s %q is not a valid path: %v", field, path, err)
		}
		v, ok := evalPath(doc, steps)
		return v, ok, nil
	}
	// need selects a required scalar as text.
	need := func(field, path string) (string, error) {
		v, ok, err := sel(field, path)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", mappingFailed(field, path, "%s %q selects nothing in the payload", field, path)
		}
		switch x := v.(type) {
		case string:
			if x != "" {
				return x, nil
			}
		case json.Number:
			return x.String(), nil
		}
		return "", mappingFailed(field, path, "%s %q selects %s, not a non-empty string or a number", field, path, kindOf(v))
	}
	var err error
	if ev.CustomerID, err = need("targetCustomerIdPath", m.TargetCustomerIDPath); err != nil {
		return ev, err
	}
	q, err := need("targetQuantityPath", m.TargetQuantityPath)
	if err != nil {
		return ev, err
	}
	r, perr := money.Parse(q)
	f, _ := strconv.ParseFloat(q, 64)
	if perr != nil || r.Sign() < 0 || math.IsInf(f, 0) || f > MaxQuantity {
		return ev, mappingFailed("targetQuantityPath", m.TargetQuantityPath,
			"targetQuantityPath %q selects %q, not a number from 0 to %g", m.TargetQuantityPath, q, float64(MaxQuantity))
	}
	ev.Quantity = f
	if m.TargetIdempotencyPath != "" {
		if ev.IdempotencyKey, err = need("targetIdempotencyPath", m.TargetIdempotencyPath); err != nil {
			return ev, err
		}
	}
	for _, k := range sortedKeys(m.TargetMetadataMap) {
		v, ok, err := sel("targetMetadataMap."+k, m.TargetMetadataMap[k])
		if err != nil {
			return ev, err
		}
		if ok {
			if ev.Metadata == nil {
				ev.Metadata = map[string]any{}
			}
			ev.Metadata[k] = v
		}
	}
	if m.TargetActionName != "" {
		if ev.Metadata == nil {
			ev.Metadata = map[string]any{}
		}
		ev.Metadata["actionName"] = m.TargetActionName
	}
	return ev, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "an empty string"
	}
	return "a value"
}

func mappingWire(m payloadMapping) wire.PayloadMapping {
	return wire.PayloadMapping{ID: m.ID, Name: m.Name, SourceName: m.SourceName, TargetUnitType: m.TargetUnitType,
		TargetQuantityPath: m.TargetQuantityPath, TargetCustomerIDPath: m.TargetCustomerIDPath,
		TargetIdempotencyPath: strPtr(m.TargetIdempotencyPath), TargetMetadataMap: m.TargetMetadataMap,
		TargetActionName: strPtr(m.TargetActionName), SampleInput: m.SampleInput, IsActive: m.IsActive, Version: m.Version,
		CreatedAt: formatTime(m.CreatedAt), UpdatedAt: formatTime(m.UpdatedAt)}
}

func versionWire(v mappingVersion) wire.PayloadMappingVersion {
	m := v.Mapping
	return wire.PayloadMappingVersion{ID: v.ID, MappingID: m.ID, Version: m.Version, CreatedBy: v.CreatedBy, Name: m.Name,
		SourceName: m.SourceName, TargetUnitType: m.TargetUnitType, TargetQuantityPath: m.TargetQuantityPath,
		TargetCustomerIDPath: m.TargetCustomerIDPath, TargetIdempotencyPath: strPtr(m.TargetIdempotencyPath),
		TargetMetadataMap: m.TargetMetadataMap, TargetActionName: strPtr(m.TargetActionName), SampleInput: m.SampleInput,
		IsActive: m.IsActive, CreatedAt: formatTime(m.UpdatedAt)}
}

// --- handlers

func (s *Server) createPayloadMapping(w http.ResponseWriter, r *http.Request) {
	var req wire.CreatePayloadMappingRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	m := payloadMapping{Name: req.Name, SourceName: req.SourceName, TargetUnitType: req.TargetUnitType,
		TargetQuantityPath: req.TargetQuantityPath, TargetCustomerIDPath: req.TargetCustomerIDPath,
		TargetIdempotencyPath: req.TargetIdempotencyPath, TargetMetadataMap: req.TargetMetadataMap,
		TargetActionName: req.TargetActionName, SampleInput: req.SampleInput, IsActive: req.IsActive == nil || *req.IsActive}
	if err := m.check(); err != nil {
		s.failMapping(w, r, err)
		return
	}
	m, err := s.svc.saveMapping(r.Context(), "", func(cur *payloadMapping) error { *cur = m; return nil })
	if err != nil {
		s.failMapping(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, mappingWire(m))
}

func (s *Server) updatePayloadMapping(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdatePayloadMappingRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.svc.saveMapping(r.Context(), r.PathValue("id"), func(m *payloadMapping) error {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&m.Name, req.Name)
		set(&m.SourceName, req.SourceName)
		set(&m.TargetUnitType, req.TargetUnitType)
		set(&m.TargetQuantityPath, req.TargetQuantityPath)
		set(&m.TargetCustomerIDPath, req.TargetCustomerIDPath)
		set(&m.TargetIdempotencyPath, req.TargetIdempotencyPath)
		set(&m.TargetActionName, req.TargetActionName)
		if req.TargetMetadataMap != nil {
			m.TargetMetadataMap = *req.TargetMetadataMap
		}
		if req.SampleInput != nil {
			m.SampleInput = *req.SampleInput
		}
		if req.IsActive != nil {
			m.IsActive = *req.IsActive
		}
		return m.check()
	})
	if err != nil {
		s.failMapping(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mappingWire(m))
}

func (s *Server) listPayloadMappings(w http.ResponseWriter, r *http.Request) {
	var ms []payloadMapping
	err := s.store.view(r.Context(), func(t *txn) (err error) {
		ms, err = listDocs[payloadMapping](t, tableMappings, `ORDER BY seq`)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.PayloadMappingList{Mappings: make([]wire.PayloadMapping, len(ms)), Count: len(ms)}
	for i, m := range ms {
		out.Mappings[i] = mappingWire(m)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPayloadMapping(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.mapping(r.Context(), "id", r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mappingWire(m))
}

func (s *Server) deletePayloadMapping(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.store.update(r.Context(), func(t *txn) error {
		res, err := t.exec(`DELETE FROM payload_mappings WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("dripserver: delete payload mapping: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errMappingNotFound(fmt.Sprintf("with id %q", id))
		}
		_, err = t.exec(`DELETE FROM payload_mapping_versions WHERE mapping_id = ?`, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listPayloadMappingVersions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var vs []mappingVersion
	err := s.store.view(r.Context(), func(t *txn) error {
		var m payloadMapping
		ok, err := t.getDoc(tableMappings, "id = ?", &m, id)
		if err != nil || !ok {
			return firstErr(err, errMappingNotFound(fmt.Sprintf("with id %q", id)))
		}
		vs, err = listDocs[mappingVersion](t, tableVersions, `WHERE mapping_id = ? ORDER BY version`, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.PayloadMappingVersionList{Versions: make([]wire.PayloadMappingVersion, len(vs)), Count: len(vs)}
	for i, v := range vs {
		out.Versions[i] = versionWire(v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) dryRunPayloadMapping(w http.ResponseWriter, r *http.Request) {
	var req wire.DryRunRequest
	err := decode(r, &req)
	if err == nil && (len(req.Payload) == 0 || string(req.Payload) == "null") {
		err = errValidation("payload", "payload is required")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.svc.mapping(r.Context(), "id", r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := m.apply(req.Payload)
	if err != nil {
		s.failMapping(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.DryRunResult{Event: ev})
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request) {
	var payload json.RawMessage
	if err := decode(r, &payload); err != nil {
		s.fail(w, r, err)
		return
	}
	source := r.PathValue("sourceName")
	m, err := s.svc.mapping(r.Context(), "source_name", source)
	if err == nil && !m.IsActive {
		err = &apiError{status: http.StatusGone, code: CodePayloadMappingInactive,
			message: "the payload mapping of source " + source + " is inactive"}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	ev, err := m.apply(payload)
	if err != nil {
		s.failMapping(w, r, err)
		return
	}
	if ev.IdempotencyKey == "" {
		ev.IdempotencyKey = newID("ingest_")
	}
	q := ev.Quantity
	req := wire.UsageRequest{CustomerID: ev.CustomerID, UsageType: ev.UsageType, Quantity: &q,
		IdempotencyKey: ev.IdempotencyKey, Metadata: ev.Metadata}
	if err := checkLimits(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.trackUsage(r.Context(), endpointUsageInternal, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev.CustomerID = out.record.CustomerID
	writeJSON(w, http.StatusAccepted, wire.IngestResult{OK: true, SourceName: m.SourceName, MappingID: m.ID,
		UsageEventID: out.record.ID, Event: &ev, Replayed: out.duplicate})
}

// --- service

// mapping reads the mapping whose column col (id or source_name) is v.
func (s *service) mapping(ctx context.Context, col, v string) (m payloadMapping, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		ok, err := t.getDoc(tableMappings, col+" = ?", &m, v)
		if err == nil && !ok {
			what := fmt.Sprintf("with id %q", v)
			if col == "source_name" {
				what = fmt.Sprintf("for source %q", v)
			}
			err = errMappingNotFound(what)
		}
		return err
	})
	return m, err
}

// saveMapping creates a mapping (id "") or changes mapping id with edit,
// and appends the version it makes.
func (s *service) saveMapping(ctx context.Context, id string, edit func(*payloadMapping) error) (m payloadMapping, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		if id != "" {
			ok, err := t.getDoc(tableMappings, "id = ?", &m, id)
			if err != nil || !ok {
				return firstErr(err, errMappingNotFound(fmt.Sprintf("with id %q", id)))
			}
		}
		if err := edit(&m); err != nil {
			return err
		}
		var other payloadMapping
		if ok, err := t.getDoc(tableMappings, "source_name = ? AND id <> ?", &other, m.SourceName, id); err != nil {
			return err
		} else if ok && other.ID != m.ID {
			return &apiError{status: http.StatusConflict, code: CodeDuplicateSourceName, field: "sourceName",
				message: "a payload mapping for source " + m.SourceName + " exists: " + other.ID}
		}
		if id == "" {
			m.ID, m.CreatedAt = newID(prefixMapping), now
		}
		m.Version++
		m.UpdatedAt = now
		if err := t.putDoc(tableMappings, m.ID, m, "source_name", m.SourceName); err != nil {
			return err
		}
		v := mappingVersion{ID: newID(prefixMappingVer), Mapping: m, CreatedBy: "api_key"}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = t.exec(`INSERT INTO payload_mapping_versions (mapping_id, version, doc) VALUES (?, ?, ?)`, m.ID, m.Version, string(b))
		return err
	})
	return m, err
}
