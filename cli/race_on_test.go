//go:build race

package cli_test

// raceEnabled: the start-up target is only held without the race detector.
const raceEnabled = true
