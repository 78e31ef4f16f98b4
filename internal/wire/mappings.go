package wire

import "encoding/json"

// Payload-mapping and ingest shapes (camelCase). A mapping turns a
// third-party JSON payload into a usage event through JSONPath-like paths.

// CreatePayloadMappingRequest is the body of POST /payload-mappings.
type CreatePayloadMappingRequest struct {
	Name                  string            `json:"name"`
	SourceName            string            `json:"sourceName"`
	TargetUnitType        string            `json:"targetUnitType"`
	TargetQuantityPath    string            `json:"targetQuantityPath"`
	TargetCustomerIDPath  string            `json:"targetCustomerIdPath"`
	TargetIdempotencyPath string            `json:"targetIdempotencyPath,omitempty"`
	TargetMetadataMap     map[string]string `json:"targetMetadataMap,omitempty"`
	TargetActionName      string            `json:"targetActionName,omitempty"`
	SampleInput           map[string]any    `json:"sampleInput,omitempty"`
	IsActive              *bool             `json:"isActive,omitempty"`
}

// UpdatePayloadMappingRequest is the body of PATCH /payload-mappings/{id}:
// any subset of the create fields; an empty string clears an optional one.
type UpdatePayloadMappingRequest struct {
	Name                  *string            `json:"name,omitempty"`
	SourceName            *string            `json:"sourceName,omitempty"`
	TargetUnitType        *string            `json:"targetUnitType,omitempty"`
	TargetQuantityPath    *string            `json:"targetQuantityPath,omitempty"`
	TargetCustomerIDPath  *string            `json:"targetCustomerIdPath,omitempty"`
	TargetIdempotencyPath *string            `json:"targetIdempotencyPath,omitempty"`
	TargetMetadataMap     *map[string]string `json:"targetMetadataMap,omitempty"`
	TargetActionName      *string            `json:"targetActionName,omitempty"`
	SampleInput           *map[string]any    `json:"sampleInput,omitempty"`
	IsActive              *bool              `json:"isActive,omitempty"`
}

// PayloadMapping is the payload-mapping resource; Version counts its
// updates from 1.
type PayloadMapping struct {
	ID                    string            `json:"id"`
	Name                  string            `json:"name"`
	SourceName            string            `json:"sourceName"`
	TargetUnitType        string            `json:"targetUnitType"`
	TargetQuantityPath    string            `json:"targetQuantityPath"`
	TargetCustomerIDPath  string            `json:"targetCustomerIdPath"`
	TargetIdempotencyPath *string           `json:"targetIdempotencyPath"`
	TargetMetadataMap     map[string]string `json:"targetMetadataMap"`
	TargetActionName      *string           `json:"targetActionName"`
	SampleInput           map[string]any    `json:"sampleInput"`
	IsActive              bool              `json:"isActive"`
	Version               int               `json:"version"`
	CreatedAt             string            `json:"createdAt"`
	UpdatedAt             string            `json:"updatedAt"`
}

// PayloadMappingList is the reply of GET /payload-mappings.
type PayloadMappingList struct {
	Mappings []PayloadMapping `json:"mappings"`
	Count    int              `json:"count"`
}

// PayloadMappingVersion is one version of a mapping: its fields as that
// version set them, plus mappingId, version and createdBy.
type PayloadMappingVersion struct {
	ID                    string            `json:"id"`
	MappingID             string            `json:"mappingId"`
	Version               int               `json:"version"`
	CreatedBy             string            `json:"createdBy"`
	Name                  string            `json:"name"`
	SourceName            string            `json:"sourceName"`
	TargetUnitType        string            `json:"targetUnitType"`
	TargetQuantityPath    string            `json:"targetQuantityPath"`
	TargetCustomerIDPath  string            `json:"targetCustomerIdPath"`
	TargetIdempotencyPath *string           `json:"targetIdempotencyPath"`
	TargetMetadataMap     map[string]string `json:"targetMetadataMap"`
	TargetActionName      *string           `json:"targetActionName"`
	SampleInput           map[string]any    `json:"sampleInput"`
	IsActive              bool              `json:"isActive"`
	CreatedAt             string            `json:"createdAt"`
}

// PayloadMappingVersionList is the reply of
// GET /payload-mappings/{id}/versions.
type PayloadMappingVersionList struct {
	Versions []PayloadMappingVersion `json:"versions"`
	Count    int                     `json:"count"`
}

// DryRunRequest is the body of POST /payload-mappings/{id}/dry-run.
type DryRunRequest struct {
	Payload json.RawMessage `json:"payload"`
}

// MappedEvent is the usage event a mapping makes of a payload.
type MappedEvent struct {
	CustomerID     string         `json:"customerId"`
	UsageType      string         `json:"usageType"`
	Quantity       float64        `json:"quantity"`
	IdempotencyKey string         `json:"idempotencyKey"`
	Metadata       map[string]any `json:"metadata"`
}

// DryRunResult is the reply of POST /payload-mappings/{id}/dry-run.
type DryRunResult struct {
	Event MappedEvent `json:"event"`
}

// IngestResult is the reply (202) of POST /ingest/{sourceName}. The API's
// documentation gives ok, sourceName, mappingId and usageEventId; the
// newest Node client's type gives event and replayed. dripd sends both.
type IngestResult struct {
	OK           bool         `json:"ok"`
	SourceName   string       `json:"sourceName"`
	MappingID    string       `json:"mappingId"`
	UsageEventID string       `json:"usageEventId"`
	Event        *MappedEvent `json:"event,omitempty"`
	Replayed     bool         `json:"replayed"`
}

// MappingFailed is the error envelope of 400 MAPPING_FAILED: Path is the
// mapping path that failed.
type MappingFailed struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Path    string `json:"path"`
}
