package dripexporter

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/drip-sdk/drip-go/internal/genaimap"
)

// pValue converts a pdata attribute value for the shared rules; arrays,
// maps and bytes are read as nothing.
func pValue(v pcommon.Value) genaimap.Value {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return genaimap.String(v.Str())
	case pcommon.ValueTypeInt:
		return genaimap.Int(v.Int())
	case pcommon.ValueTypeDouble:
		return genaimap.Float(v.Double())
	case pcommon.ValueTypeBool:
		return genaimap.Bool(v.Bool())
	}
	return genaimap.Value{}
}

// scanAttrs adds every attribute of m to f.
func scanAttrs(f *genaimap.Facts, m pcommon.Map) {
	m.Range(func(k string, v pcommon.Value) bool {
		f.Add(k, pValue(v))
		return true
	})
}

// pspan is a pdata span as the shared rules see it (genaimap.Span).
type pspan struct{ s ptrace.Span }

func (p pspan) Name() string           { return p.s.Name() }
func (p pspan) Failed() bool           { return p.s.Status().Code() == ptrace.StatusCodeError }
func (p pspan) DroppedAttributes() int { return int(p.s.DroppedAttributesCount()) }

// OTLP span flags saying whether the parent span is remote (in another
// process).
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// remoteParent reports whether the span's parent is known to be remote;
// an SDK span processor would not have seen such a parent.
func remoteParent(s ptrace.Span) bool {
	f := s.Flags()
	return f&flagHasIsRemote != 0 && f&flagIsRemote != 0
}

// strAttr reads a string attribute of m, "" when absent or not a string.
func strAttr(m pcommon.Map, key string) string {
	if key == "" {
		return ""
	}
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}
