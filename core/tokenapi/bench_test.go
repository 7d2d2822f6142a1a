package tokenapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"wxauth/core/flow"
)

// BenchmarkTokenHandler is one token GET through the handler (no network): authentication,
// scope, the feed, the body, the metrics and the read counter.
func BenchmarkTokenHandler(b *testing.B) {
	e := newEnv(b)
	_, key, err := e.sb.Engine.AddClient(e.ctx, flow.ClientSpec{Name: "bench", ComponentAppID: e.comp})
	if err != nil {
		b.Fatal(err)
	}
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", "/v1/token/"+e.a, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == http.StatusOK {
			break
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}
