package cli

import (
	"fmt"
	"time"

	"wxauth/core/flow"
)

// storeStatus is the store's health in `status --json`: a store that does not answer makes
// status fail instead (storeDownErr), since nothing can be read from it.
type storeStatus struct {
	Reachable bool `json:"reachable"`
}

// storeDownErr says that the store does not answer, since when (this command's first failed
// call), and what to do. A running `serve` meanwhile serves the tokens it holds and keeps what
// WeChat hands out in memory until the store is back.
func storeDownErr(err error, h flow.StoreHealth) error {
	if h.Since.IsZero() {
		h.Since = time.Now()
	}
	return withCode(ExitFailure, fmt.Errorf("store unreachable since %s: %w%s%s; a running `wxauth serve` keeps serving the tokens it has and writes what WeChat hands out meanwhile once the store answers",
		h.Since.Format(time.DateTime), err, remedySep, flow.StoreHealth{}.Remedy()))
}

// storeErr turns an engine error into the command's: a store outage says so, the rest as
// engineErr does.
func storeErr(eng *flow.Engine, err error) error {
	if flow.StoreUnavailable(err) {
		return storeDownErr(err, eng.StoreHealth())
	}
	return engineErr(err)
}
