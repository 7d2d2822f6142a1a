package cli_test

import "testing"

// TestStatusJSONSaysStoreReachable: status --json carries the store's health (a store that
// does not answer makes status fail with "store unreachable since …" and what to do instead).
func TestStatusJSONSaysStoreReachable(t *testing.T) {
	e := newSimEnv(t)
	var st struct {
		Store *struct {
			Reachable bool `json:"reachable"`
		} `json:"store"`
	}
	wxJSON(t, e.db, &st, "status")
	if st.Store == nil || !st.Store.Reachable {
		t.Fatalf("status --json store = %+v, want reachable", st.Store)
	}
}
