package drip

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Payload mappings turn a third-party JSON payload (a provider's webhook,
// a log line) into a usage event, so the payload can be sent to Drip as is
// with Ingest. Paths select values from the payload:
//
//	$              the whole payload
//	$.a.b          key b of key a
//	$.a[0]         the first element of array a; $.a[-1] the last
//	$['k']         key k, for keys that are not plain names
//	$.a[*].b       b of the first element of a that has one
//
// Anything else fails with 400 MAPPING_FAILED naming the path.
//
// Key scoping: managing mappings (create, list, get, update, delete,
// versions, dry-run) needs a secret key, as both official clients require;
// Drip's documentation asks for an admin key. Ingest works with a public
// key, as in both official clients.

// Payload-mapping error codes.
const (
	CodeMappingFailed          = "MAPPING_FAILED"            // 400: a path did not select a usable value
	CodePayloadMappingNotFound = "PAYLOAD_MAPPING_NOT_FOUND" // 404: no mapping for the source
	CodePayloadMappingInactive = "PAYLOAD_MAPPING_INACTIVE"  // 410: the source's mapping is switched off
)

// Payload-mapping sentinels for errors.Is.
var (
	// ErrMappingFailed matches 400 MAPPING_FAILED; MappingFailedPath says
	// which path failed.
	ErrMappingFailed = sentinel(0, "payload mapping failed", CodeMappingFailed)
	// ErrPayloadMappingNotFound matches 404 PAYLOAD_MAPPING_NOT_FOUND.
	// ErrNotFound matches NOT_FOUND only, so check this one for ingest.
	ErrPayloadMappingNotFound = sentinel(0, "no payload mapping for this source", CodePayloadMappingNotFound)
	// ErrPayloadMappingInactive matches 410 PAYLOAD_MAPPING_INACTIVE.
	ErrPayloadMappingInactive = sentinel(0, "the payload mapping is inactive", CodePayloadMappingInactive)
)

// MappingFailedPath returns the mapping path a MAPPING_FAILED error names
// (the envelope's path field), or "" when err is not one.
func MappingFailedPath(err error) string {
	e, ok := AsError(err)
	if !ok || e.Code != CodeMappingFailed {
		return ""
	}
	var env wire.MappingFailed
	if json.Unmarshal(e.Body, &env) != nil {
		return ""
	}
	return env.Path
}

// PayloadMappingParams creates a payload mapping. Name, SourceName,
// TargetUnitType, TargetQuantityPath and TargetCustomerIDPath are
// required.
type PayloadMappingParams struct {
	Name string
	// SourceName is the slug payloads are ingested under
	// (POST /ingest/{sourceName}), unique per business.
	SourceName string
	// TargetUnitType is the meter (usage type) of every event, a literal.
	TargetUnitType string
	// TargetQuantityPath selects the quantity: a number, or a string
	// holding one.
	TargetQuantityPath string
	// TargetCustomerIDPath selects the customer's internal or external id.
	TargetCustomerIDPath string
	// TargetIdempotencyPath, if set, selects the event's idempotency key,
	// so a payload delivered twice counts once. Without it Drip generates
	// a key per ingest, and a retried ingest can count twice.
	TargetIdempotencyPath string
	// TargetMetadataMap maps metadata keys to paths; a path the payload
	// lacks leaves its key out.
	TargetMetadataMap map[string]string
	// TargetActionName, if set, is recorded as the event's actionName
	// metadata.
	TargetActionName string
	// SampleInput is an example payload, kept with the mapping for
	// dry-runs and display.
	SampleInput map[string]any
	// Inactive creates the mapping switched off: ingest answers 410.
	Inactive bool
}

// UpdatePayloadMappingParams changes the fields that are not nil; an empty
// string clears an optional path. Each update adds a version.
type UpdatePayloadMappingParams struct {
	Name                  *string
	SourceName            *string
	TargetUnitType        *string
	TargetQuantityPath    *string
	TargetCustomerIDPath  *string
	TargetIdempotencyPath *string
	TargetMetadataMap     *map[string]string
	TargetActionName      *string
	SampleInput           *map[string]any
	IsActive              *bool
}

// PayloadMapping is a stored mapping; see PayloadMappingParams for the
// fields. Version is 1 when created and grows with each update.
type PayloadMapping struct {
	ID                    string
	Name                  string
	SourceName            string
	TargetUnitType        string
	TargetQuantityPath    string
	TargetCustomerIDPath  string
	TargetIdempotencyPath string
	TargetMetadataMap     map[string]string
	TargetActionName      string
	SampleInput           map[string]any
	IsActive              bool
	Version               int
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// PayloadMappingVersion is a mapping as one version left it.
type PayloadMappingVersion struct {
	// ID identifies the version record.
	ID        string
	MappingID string
	Version   int
	// CreatedBy says who made the version (the API key's role or name).
	CreatedBy string
	CreatedAt time.Time
	// Mapping holds the mapping's fields as of this version; its ID is
	// MappingID, its Version this version, its times CreatedAt.
	Mapping PayloadMapping
}

// MappedEvent is the usage event a mapping makes of a payload.
type MappedEvent struct {
	CustomerID string
	// Meter is the usage type (the mapping's TargetUnitType).
	Meter          string
	Quantity       float64
	IdempotencyKey string
	Metadata       map[string]any
}

// CreatePayloadMapping creates a mapping (POST /payload-mappings). Needs
// a secret key.
func (c *Client) CreatePayloadMapping(ctx context.Context, p PayloadMappingParams) (*PayloadMapping, error) {
	const op = "CreatePayloadMapping"
	for _, f := range [][2]string{{"name", p.Name}, {"sourceName", p.SourceName}, {"targetUnitType", p.TargetUnitType},
		{"targetQuantityPath", p.TargetQuantityPath}, {"targetCustomerIdPath", p.TargetCustomerIDPath}} {
		if err := requireID(op, f[0], f[1]); err != nil {
			return nil, err
		}
	}
	if err := checkIDs(op, "targetIdempotencyPath", p.TargetIdempotencyPath, "targetActionName", p.TargetActionName); err != nil {
		return nil, err
	}
	if err := checkMetadataEncoded(op, "sampleInput", p.SampleInput); err != nil {
		return nil, err
	}
	body := wire.CreatePayloadMappingRequest{Name: p.Name, SourceName: p.SourceName, TargetUnitType: p.TargetUnitType,
		TargetQuantityPath: p.TargetQuantityPath, TargetCustomerIDPath: p.TargetCustomerIDPath,
		TargetIdempotencyPath: p.TargetIdempotencyPath, TargetMetadataMap: p.TargetMetadataMap,
		TargetActionName: p.TargetActionName, SampleInput: p.SampleInput}
	if p.Inactive {
		no := false
		body.IsActive = &no
	}
	var out wire.PayloadMapping
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/payload-mappings", body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	m := payloadMappingFromWire(&out)
	return &m, nil
}

// ListPayloadMappings returns every mapping (GET /payload-mappings). Needs
// a secret key.
func (c *Client) ListPayloadMappings(ctx context.Context) ([]PayloadMapping, error) {
	var out wire.PayloadMappingList
	if _, err := c.do(ctx, request{op: "ListPayloadMappings", method: "GET", path: "/payload-mappings", out: &out,
		secret: true}); err != nil {
		return nil, err
	}
	ms := make([]PayloadMapping, len(out.Mappings))
	for i := range out.Mappings {
		ms[i] = payloadMappingFromWire(&out.Mappings[i])
	}
	return ms, nil
}

// GetPayloadMapping returns a mapping by id (GET /payload-mappings/{id}).
// Needs a secret key.
func (c *Client) GetPayloadMapping(ctx context.Context, id string) (*PayloadMapping, error) {
	const op = "GetPayloadMapping"
	if err := requireID(op, "mappingId", id); err != nil {
		return nil, err
	}
	var out wire.PayloadMapping
	if _, err := c.do(ctx, request{op: op, method: "GET", path: mappingPath(id, ""), out: &out, secret: true}); err != nil {
		return nil, err
	}
	m := payloadMappingFromWire(&out)
	return &m, nil
}

// UpdatePayloadMapping changes a mapping and records a new version
// (PATCH /payload-mappings/{id}). Needs a secret key.
func (c *Client) UpdatePayloadMapping(ctx context.Context, id string, p UpdatePayloadMappingParams) (*PayloadMapping, error) {
	const op = "UpdatePayloadMapping"
	if err := requireID(op, "mappingId", id); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name     string
		v        *string
		required bool
	}{{"name", p.Name, true}, {"sourceName", p.SourceName, true}, {"targetUnitType", p.TargetUnitType, true},
		{"targetQuantityPath", p.TargetQuantityPath, true}, {"targetCustomerIdPath", p.TargetCustomerIDPath, true},
		{"targetIdempotencyPath", p.TargetIdempotencyPath, false}, {"targetActionName", p.TargetActionName, false}} {
		if f.v == nil {
			continue
		}
		if f.required {
			if err := requireID(op, f.name, *f.v); err != nil {
				return nil, err
			}
		} else if err := checkIDs(op, f.name, *f.v); err != nil {
			return nil, err
		}
	}
	if p.SampleInput != nil {
		if err := checkMetadataEncoded(op, "sampleInput", *p.SampleInput); err != nil {
			return nil, err
		}
	}
	body := wire.UpdatePayloadMappingRequest{Name: p.Name, SourceName: p.SourceName, TargetUnitType: p.TargetUnitType,
		TargetQuantityPath: p.TargetQuantityPath, TargetCustomerIDPath: p.TargetCustomerIDPath,
		TargetIdempotencyPath: p.TargetIdempotencyPath, TargetMetadataMap: p.TargetMetadataMap,
		TargetActionName: p.TargetActionName, SampleInput: p.SampleInput, IsActive: p.IsActive}
	var out wire.PayloadMapping
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: mappingPath(id, ""), body: &body, out: &out,
		secret: true}); err != nil {
		return nil, err
	}
	m := payloadMappingFromWire(&out)
	return &m, nil
}

// DeletePayloadMapping deletes a mapping and its versions
// (DELETE /payload-mappings/{id}); its source then answers 404. Needs a
// secret key.
func (c *Client) DeletePayloadMapping(ctx context.Context, id string) error {
	const op = "DeletePayloadMapping"
	if err := requireID(op, "mappingId", id); err != nil {
		return err
	}
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: mappingPath(id, ""), secret: true})
	return err
}

// ListPayloadMappingVersions returns a mapping's versions, oldest first
// (GET /payload-mappings/{id}/versions). Needs a secret key.
func (c *Client) ListPayloadMappingVersions(ctx context.Context, id string) ([]PayloadMappingVersion, error) {
	const op = "ListPayloadMappingVersions"
	if err := requireID(op, "mappingId", id); err != nil {
		return nil, err
	}
	var out wire.PayloadMappingVersionList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: mappingPath(id, "/versions"), out: &out, secret: true}); err != nil {
		return nil, err
	}
	vs := make([]PayloadMappingVersion, len(out.Versions))
	for i := range out.Versions {
		vs[i] = mappingVersionFromWire(&out.Versions[i])
	}
	return vs, nil
}

// DryRunPayloadMapping maps payload with the mapping and returns the event
// it would record, recording nothing (POST /payload-mappings/{id}/dry-run).
// payload is any value that encodes to JSON (a json.RawMessage or []byte is sent as
// is). Needs a secret key.
func (c *Client) DryRunPayloadMapping(ctx context.Context, id string, payload any) (*MappedEvent, error) {
	const op = "DryRunPayloadMapping"
	if err := requireID(op, "mappingId", id); err != nil {
		return nil, err
	}
	raw, err := encodePayload(op, payload)
	if err != nil {
		return nil, err
	}
	var out wire.DryRunResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: mappingPath(id, "/dry-run"),
		body: &wire.DryRunRequest{Payload: raw}, out: &out, secret: true}); err != nil {
		return nil, err
	}
	ev := mappedEventFromWire(&out.Event)
	return &ev, nil
}

// IngestResult is what Ingest recorded.
type IngestResult struct {
	SourceName   string
	MappingID    string
	UsageEventID string
	// Event is the mapped usage event, when the API returns it.
	Event *MappedEvent
	// Replayed is true when the event's idempotency key had been seen: the
	// original usage event stands and nothing new was recorded.
	Replayed bool
}

// Ingest sends a raw payload to the mapping of sourceName
// (POST /ingest/{sourceName}), which records the usage event it maps to,
// through the same pipeline as TrackUsage's visibility-only mode
// (/usage/internal). payload is any value that encodes to JSON (a
// json.RawMessage or []byte is sent as is and must hold a JSON object);
// it is not wrapped.
//
// The official sources disagree on the reply: Drip's documentation gives
// 202 {ok, sourceName, mappingId, usageEventId}, the newest Node client's
// type {event, replayed}. Ingest follows the documentation, the API's own
// account of its newest behaviour, and also reads event and replayed when
// they are there (dripd sends both shapes).
//
// Errors: 400 MAPPING_FAILED (ErrMappingFailed; MappingFailedPath names
// the path), 404 PAYLOAD_MAPPING_NOT_FOUND (ErrPayloadMappingNotFound),
// 410 PAYLOAD_MAPPING_INACTIVE (ErrPayloadMappingInactive). Works with a
// public key.
func (c *Client) Ingest(ctx context.Context, sourceName string, payload any) (*IngestResult, error) {
	const op = "Ingest"
	if err := requireID(op, "sourceName", sourceName); err != nil {
		return nil, err
	}
	raw, err := encodePayload(op, payload)
	if err != nil {
		return nil, err
	}
	var out wire.IngestResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/ingest/" + url.PathEscape(sourceName), raw: raw,
		out: &out}); err != nil {
		return nil, err
	}
	res := &IngestResult{SourceName: out.SourceName, MappingID: out.MappingID, UsageEventID: out.UsageEventID,
		Replayed: out.Replayed}
	if out.Event != nil {
		ev := mappedEventFromWire(out.Event)
		res.Event = &ev
	}
	return res, nil
}

// encodePayload encodes a payload once, so every retry sends the same
// bytes, and bounds it like a request body.
func encodePayload(op string, payload any) (json.RawMessage, error) {
	var raw []byte
	switch p := payload.(type) {
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	default:
		b, err := json.Marshal(payload)
		if err != nil {
			return nil, validationError(op, "payload", "payload cannot be encoded as JSON: "+err.Error())
		}
		raw = b
	}
	if !json.Valid(raw) {
		return nil, validationError(op, "payload", "payload is not valid JSON")
	}
	if len(raw) > maxPayloadBytes {
		return nil, validationError(op, "payload", "payload is larger than 1 MiB")
	}
	return raw, nil
}

// maxPayloadBytes bounds an ingested payload: well under the API's body
// limit.
const maxPayloadBytes = 1 << 20

func mappingPath(id, rest string) string { return "/payload-mappings/" + url.PathEscape(id) + rest }

func payloadMappingFromWire(w *wire.PayloadMapping) PayloadMapping {
	return PayloadMapping{ID: w.ID, Name: w.Name, SourceName: w.SourceName, TargetUnitType: w.TargetUnitType,
		TargetQuantityPath: w.TargetQuantityPath, TargetCustomerIDPath: w.TargetCustomerIDPath,
		TargetIdempotencyPath: deref(w.TargetIdempotencyPath), TargetMetadataMap: w.TargetMetadataMap,
		TargetActionName: deref(w.TargetActionName), SampleInput: w.SampleInput, IsActive: w.IsActive, Version: w.Version,
		CreatedAt: parseTime(w.CreatedAt), UpdatedAt: parseTime(w.UpdatedAt)}
}

func mappingVersionFromWire(w *wire.PayloadMappingVersion) PayloadMappingVersion {
	at := parseTime(w.CreatedAt)
	return PayloadMappingVersion{ID: w.ID, MappingID: w.MappingID, Version: w.Version, CreatedBy: w.CreatedBy, CreatedAt: at,
		Mapping: PayloadMapping{ID: w.MappingID, Name: w.Name, SourceName: w.SourceName, TargetUnitType: w.TargetUnitType,
			TargetQuantityPath: w.TargetQuantityPath, TargetCustomerIDPath: w.TargetCustomerIDPath,
			TargetIdempotencyPath: deref(w.TargetIdempotencyPath), TargetMetadataMap: w.TargetMetadataMap,
			TargetActionName: deref(w.TargetActionName), SampleInput: w.SampleInput, IsActive: w.IsActive, Version: w.Version,
			CreatedAt: at, UpdatedAt: at}}
}

func mappedEventFromWire(w *wire.MappedEvent) MappedEvent {
	return MappedEvent{CustomerID: w.CustomerID, Meter: w.UsageType, Quantity: w.Quantity, IdempotencyKey: w.IdempotencyKey,
		Metadata: w.Metadata}
}
