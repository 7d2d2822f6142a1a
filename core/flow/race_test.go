//go:build race

package flow_test

// raceEnabled: timing and memory targets are only asserted without the race detector.
const raceEnabled = true
