//go:build race

package callback_test

// raceEnabled: the race detector slows SQLite's transpiled C far more than net/http, so the
// timing targets are only asserted without it.
const raceEnabled = true
