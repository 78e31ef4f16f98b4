//go:build !race

package dripexporter

const raceEnabled = false
