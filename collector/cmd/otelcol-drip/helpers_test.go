package main

import "go.opentelemetry.io/collector/component"

func mustType(s string) component.Type { return component.MustNewType(s) }
