package dripserver

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what a request may store. Anything beyond gets 422
// VALIDATION_ERROR naming the field, and nothing is written. Lengths count
// characters (Unicode code points), not bytes. They are exported so that
// clients can check before sending.
const (
	// MaxIDLength bounds every string that names or keys something:
	// eventType, idempotencyKey, workflow, workflowId, name, slug,
	// externalRunId, correlationId, spanId, parentEventId, parentRunId,
	// runId, customerId, externalCustomerId, onchainAddress, usageType,
	// units, costCurrency, errorCode: 256 characters.
	MaxIDLength = 256
	// MaxDescriptionLength bounds description: 1,000 characters.
	MaxDescriptionLength = 1000
	// MaxErrorMessageLength bounds errorMessage, which often carries a
	// stack trace: 4,096 characters.
	MaxErrorMessageLength = 4096
	// MaxMetadataBytes bounds each metadata object, measured as its compact
	// JSON encoding without HTML escaping (what JSON.stringify gives):
	// 64 KiB.
	MaxMetadataBytes = 64 << 10
	// MaxQuantity bounds quantity and costUnits, which must also be finite
	// and ≥ 0: 1e15. Far above any real count of tokens or cost, and low
	// enough that run totals neither overflow nor lose whole units (a
	// float64 is exact to 2^53 ≈ 9e15).
	MaxQuantity = 1e15
)

// stringLimits are the string fields whose limit is not MaxIDLength, by
// JSON name.
var stringLimits = map[string]int{
	"description":  MaxDescriptionLength,
	"errorMessage": MaxErrorMessageLength,
}

// checkLimits enforces the limits on every field of a decoded request, by
// reflection over its JSON names, so a field added to a wire request is
// limited without more code here: a string by its name, a number as a
// quantity (the only numbers requests carry), a map as metadata.
func checkLimits(v any) error {
	return checkValue(reflect.ValueOf(v), "", "")
}

func checkValue(v reflect.Value, path, name string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValue(v.Elem(), path, name)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || n == "-" {
				continue
			}
			if n == "" {
				n = f.Name
			}
			p := n
			if path != "" {
				p = path + "." + n
			}
			if err := checkValue(v.Field(i), p, n); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if err := checkValue(v.Index(i), path+"["+strconv.Itoa(i)+"]", name); err != nil {
				return err
			}
		}
	case reflect.String:
		limit, ok := stringLimits[name]
		if !ok {
			limit = MaxIDLength
		}
		return maxLen(path, v.String(), limit)
	case reflect.Float64:
		q := v.Float()
		return checkQuantity(path, &q)
	case reflect.Map:
		return checkMetadata(path, v.Interface())
	}
	return nil
}

// checkMetadata bounds a metadata object's encoded size.
func checkMetadata(field string, m any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return errValidation(field, "%s cannot be encoded as JSON: %v", field, err)
	}
	if n := buf.Len() - 1; n > MaxMetadataBytes { // Encode adds a newline
		return errValidation(field, "%s must be at most %d bytes of JSON, not %d", field, MaxMetadataBytes, n)
	}
	return nil
}

// checkQuantity validates an optional quantity or cost: finite, ≥ 0 and
// at most MaxQuantity.
func checkQuantity(field string, q *float64) error {
	if q == nil {
		return nil
	}
	if math.IsNaN(*q) || math.IsInf(*q, 0) || *q < 0 || *q > MaxQuantity {
		return errValidation(field, "%s must be a finite number from 0 to %g", field, float64(MaxQuantity))
	}
	return nil
}

// maxLen bounds a string in characters.
func maxLen(field, v string, n int) error {
	if len(v) > n && utf8.RuneCountInString(v) > n {
		return errValidation(field, "%s must be at most %d characters", field, n)
	}
	return nil
}
