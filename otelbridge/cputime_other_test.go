//go:build !linux

package otelbridge

func threadCPU() (ns int64, ok bool) { return 0, false }
