package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/core/wxsim"
)

// priorWorld is the sandbox world with n more mini programs, and every account (the four of the
// sandbox and the n) already authorized to the platform through another system.
func priorWorld(n int) wxsim.World {
	w := wxsim.DefaultWorld()
	for i := range n {
		w.Accounts = append(w.Accounts, wxsim.Account{AppID: fmt.Sprintf("wx%016x", 0xa000+i), UserName: fmt.Sprintf("gh_%012x", 0xb000+i),
			NickName: fmt.Sprintf("门店%04d", i), Kind: wxsim.KindMiniProgram, PrincipalName: "某某餐饮有限公司"})
	}
	for _, a := range w.Accounts {
		w.Authorizations = append(w.Authorizations, wxsim.PriorAuthorization{ComponentAppID: sandboxAppID, AuthorizerAppID: a.AppID})
	}
	return w
}

// importJSONReport is the --json report of `authorizers import`.
type importJSONReport struct {
	Total, Imported, Updated, Unchanged, Failed int
	Accounts                                    []struct {
		AuthorizerAppID string `json:"authorizer_appid"`
		NickName        string `json:"nick_name"`
		Outcome         string `json:"outcome"`
		TokenObtained   bool   `json:"token_obtained"`
	}
}

// TestAuthorizersImport: accounts authorized to the platform before wxauth are adopted with
// their refresh tokens and get working access tokens; a second run changes nothing; an account
// whose stored refresh token differs from WeChat's gets WeChat's, the old one kept in history.
func TestAuthorizersImport(t *testing.T) {
	e := newSimEnvWith(t, priorWorld(0), nil)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))

	r := wxOK(t, e.db, "authorizers", "import")
	if strings.TrimSpace(r.out) != "imported 4, updated 0, unchanged 0" {
		t.Fatalf("first import: %q\nstderr: %s", r.out, r.err)
	}
	for _, want := range []string{"WeChat lists 4 authorized accounts", "imported   wx8d5e2f7a1c3b9046 拾光咖啡点单", "4/4 accounts"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.err)
		}
	}
	var list []map[string]any
	wxJSON(t, e.db, &list, "authorizers")
	if len(list) != 4 {
		t.Fatalf("authorizers after import: %v", list)
	}
	for _, a := range list {
		if a["status"] != "healthy" || a["has_refresh_token"] != true || a["nick_name"] == "" || len(a["func_info"].([]any)) == 0 {
			t.Errorf("imported account %v", a)
		}
	}
	db := e.storage(t)
	coffee, err := db.Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if err != nil {
		t.Fatal(err)
	}
	if ti := e.checkToken(t, coffee.AccessToken); !ti.Valid || ti.AppID != coffeeAppID {
		t.Fatalf("the imported access token does not work at WeChat: %+v", ti)
	}
	mints := e.sim.Stats().Calls["api_authorizer_token"]

	// Again: nothing changes, no token is minted.
	var rep importJSONReport
	wxJSON(t, e.db, &rep, "authorizers", "import")
	if rep.Total != 4 || rep.Unchanged != 4 || rep.Imported+rep.Updated+rep.Failed != 0 {
		t.Errorf("second import: %+v", rep)
	}
	if got := e.sim.Stats().Calls["api_authorizer_token"]; got != mints {
		t.Errorf("the second import minted %d tokens", got-mints)
	}
	if again, _ := db.Authorizer(context.Background(), sandboxAppID, coffeeAppID); again.AccessToken != coffee.AccessToken || again.AccessVersion != coffee.AccessVersion {
		t.Error("the second import changed a stored account")
	}

	// A stored refresh token that is not WeChat's (the account was re-authorized elsewhere).
	if err := db.RecoverRefreshToken(context.Background(), sandboxAppID, coffeeAppID, "refreshtoken@@@stale", coffee.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	r = wxOK(t, e.db, "authorizers", "import")
	if strings.TrimSpace(r.out) != "imported 0, updated 1, unchanged 3" || !strings.Contains(r.err, "updated    "+coffeeAppID) {
		t.Fatalf("import after a refresh token changed: %q\nstderr: %s", r.out, r.err)
	}
	after, _ := db.Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	hist, _ := db.RefreshTokenHistory(context.Background(), sandboxAppID, coffeeAppID)
	if after.RefreshToken != coffee.RefreshToken || after.Status != "healthy" {
		t.Errorf("refresh token %q (want WeChat's %q), status %s", after.RefreshToken, coffee.RefreshToken, after.Status)
	}
	if !slices.Equal(hist, []string{coffee.RefreshToken, "refreshtoken@@@stale"}) {
		t.Errorf("refresh-token history %q: both must be kept", hist)
	}
	if strings.Contains(r.out+r.err, coffee.RefreshToken) || strings.Contains(r.out+r.err, coffee.AccessToken) {
		t.Error("a token was printed")
	}
}

// TestAuthorizersImportPagedResumable: 600 accounts come in two pages; a platform-wide failure
// on the second page stops the import keeping the first 500, and running it again goes on.
func TestAuthorizersImportPagedResumable(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() && strings.HasSuffix(r.URL.Path, "/api_get_authorizer_list") {
				body, _ := io.ReadAll(r.Body)
				var req struct{ Offset int }
				_ = json.Unmarshal(body, &req)
				if req.Offset >= 500 {
					_, _ = io.WriteString(w, `{"errcode":61004,"errmsg":"access clientip is not registered requestIP: 203.0.113.7 rid: 6743a1b2-0c4d5e6f-7a8b9c0d"}`)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(body)))
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newSimEnvWith(t, priorWorld(596), wrap)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))

	r := wx(t, e.db, "", "authorizers", "import")
	if r.code != 3 || !strings.Contains(r.err, "203.0.113.7") || !strings.Contains(r.err, "stopped after 500 of 600 accounts") {
		t.Fatalf("import with the second page failing: exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	var list []map[string]any
	wxJSON(t, e.db, &list, "authorizers")
	if len(list) != 500 {
		t.Fatalf("%d accounts kept after the failure, want the first page's 500", len(list))
	}

	failing.Store(false)
	r = wxOK(t, e.db, "authorizers", "import")
	if strings.TrimSpace(r.out) != "imported 100, updated 0, unchanged 500" {
		t.Fatalf("second run: %q\nstderr: %s", r.out, r.err)
	}
	if r := wxOK(t, e.db, "authorizers", "import"); strings.TrimSpace(r.out) != "imported 0, updated 0, unchanged 600" {
		t.Fatalf("third run: %q", r.out)
	}
	wxJSON(t, e.db, &list, "authorizers")
	for _, a := range list {
		if a["status"] != "healthy" || a["access_token_expires_at"] == nil {
			t.Fatalf("account not healthy after the import: %v", a)
		}
	}
	if calls := e.sim.Stats().Calls["api_authorizer_token"]; calls != 600 {
		t.Errorf("%d api_authorizer_token calls for 600 accounts", calls)
	}
}

// TestAuthorizersImportNeedsTicket: without a ticket the import says what to do and exits 3.
func TestAuthorizersImportNeedsTicket(t *testing.T) {
	e := newSimEnvWith(t, priorWorld(0), nil)
	r := wx(t, e.db, "", "authorizers", "import")
	if r.code != 3 || !strings.Contains(r.err, "ticket push") {
		t.Fatalf("import without a ticket: exit %d\nstderr: %s", r.code, r.err)
	}
}

// TestAuthorizersImportWhileServing: with `serve` holding the refresh lease, the import stores
// the accounts and leaves their tokens to serve, which obtains them on its next pass.
func TestAuthorizersImportWhileServing(t *testing.T) {
	e := newSimEnvWith(t, priorWorld(0), nil)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	startServe(t, e.db)
	db := e.storage(t)
	waitFor(t, 10*time.Second, "serve to mint the component token", func() bool {
		_, err := db.ComponentToken(context.Background(), sandboxAppID)
		return err == nil
	})
	r := wxOK(t, e.db, "authorizers", "import")
	if strings.TrimSpace(r.out) != "imported 4, updated 0, unchanged 0" || !strings.Contains(r.err, "holds the refresh lease") {
		t.Fatalf("import while serving: %q\nstderr: %s", r.out, r.err)
	}
	waitFor(t, 10*time.Second, "serve to obtain the imported accounts' tokens", func() bool {
		list, err := db.Authorizers(context.Background(), sandboxAppID)
		if err != nil || len(list) != 4 {
			return false
		}
		for _, a := range list {
			if a.AccessToken == "" || !e.checkToken(t, a.AccessToken).Valid {
				return false
			}
		}
		return true
	})
}

// rewriteWeChat wraps the simulator: fn may rewrite the body of each API answer (by path).
func rewriteWeChat(fn func(path, reqBody, body string) string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(req)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length") // the body may change length
			w.WriteHeader(rec.Code)
			_, _ = io.WriteString(w, fn(r.URL.Path, string(req), rec.Body.String()))
		})
	}
}

var refreshTokenRe = regexp.MustCompile(`"(authorizer_)?refresh_token":"[^"]*"`)

// TestAuthorizersImportEdgeCases: the refresh token comes from api_get_authorizer_info when the
// list has none; an account WeChat refuses is reported and the others go on; an account with no
// refresh token anywhere is skipped with the remedy; exit 3 says some need their merchant.
func TestAuthorizersImportEdgeCases(t *testing.T) {
	const (
		oa   = "wx9e4c6a2f8b1d3057" // 青禾书店服务号: never exchanged, so listed without a refresh token
		book = "wx5a0f3d8c2e6b7194" // 青禾书店: WeChat refuses it (61003)
	)
	w := priorWorld(0)
	for i := range w.Authorizations {
		if w.Authorizations[i].AuthorizerAppID == oa || w.Authorizations[i].AuthorizerAppID == travelAppID {
			w.Authorizations[i].NotExchanged = true
		}
	}
	wrap := rewriteWeChat(func(path, req, body string) string {
		switch {
		case strings.HasSuffix(path, "/api_get_authorizer_info") && strings.Contains(req, book):
			return `{"errcode":61003,"errmsg":"component is not authorized by this account rid: 6743a1b2-0c4d5e6f-7a8b9c0d"}`
		case strings.HasSuffix(path, "/api_get_authorizer_info") && strings.Contains(req, travelAppID):
			return refreshTokenRe.ReplaceAllString(body, `"authorizer_refresh_token":""`)
		}
		return body
	})
	e := newSimEnvWith(t, w, wrap)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	var rep importJSONReport
	r := wx(t, e.db, "", "authorizers", "import", "--json")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	outcome := map[string]string{}
	for _, a := range rep.Accounts {
		outcome[a.AuthorizerAppID] = a.Outcome
	}
	want := map[string]string{coffeeAppID: "imported", oa: "imported", book: "failed", travelAppID: "no_refresh_token"}
	for appid, o := range want {
		if outcome[appid] != o {
			t.Errorf("%s: %s, want %s", appid, outcome[appid], o)
		}
	}
	for _, s := range []string{"failed     " + book, "61003", "skipped    " + travelAppID, "authorize --biz-appid " + travelAppID, "2 accounts are not fully adopted"} {
		if !strings.Contains(r.err, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.err)
		}
	}
	a, err := e.storage(t).Authorizer(context.Background(), sandboxAppID, oa)
	if err != nil || a.RefreshToken == "" || a.Status != "healthy" || !e.checkToken(t, a.AccessToken).Valid {
		t.Errorf("the account whose refresh token came from api_get_authorizer_info: %+v %v", a, err)
	}
}

// TestAuthorizersImportFromKeptHistory: when WeChat lists no refresh token for an account of a
// platform removed and added again, the newest kept one is used.
func TestAuthorizersImportFromKeptHistory(t *testing.T) {
	var strip atomic.Bool
	wrap := rewriteWeChat(func(path, req, body string) string {
		if strip.Load() && (strings.HasSuffix(path, "/api_get_authorizer_list") || strings.HasSuffix(path, "/api_get_authorizer_info")) {
			return refreshTokenRe.ReplaceAllStringFunc(body, func(m string) string { return m[:strings.LastIndex(m, ":")] + `:""` })
		}
		return body
	})
	e := newSimEnvWith(t, wxsim.DefaultWorld(), wrap)
	e.authorizeByPaste(t, coffeeAppID)
	orig, _ := e.storage(t).Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	wxOK(t, e.db, "platform", "remove", sandboxAppID, "--yes")
	wxOK(t, e.db, "platform", "add", "--appid", sandboxAppID, "--token", sandboxToken, "--aes-key", sandboxAESKey,
		"--domain", e.addr, "--public-url", e.public, "--listen", e.addr, "--api-base", e.simURL, "--login-base", e.simURL, "--mobile-base", e.simURL)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	strip.Store(true)
	r := wxOK(t, e.db, "authorizers", "import")
	if strings.TrimSpace(r.out) != "imported 1, updated 0, unchanged 0" {
		t.Fatalf("import: %q\n%s", r.out, r.err)
	}
	back, _ := e.storage(t).Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if back.RefreshToken != orig.RefreshToken || !e.checkToken(t, back.AccessToken).Valid {
		t.Errorf("restored from the history: %+v", back)
	}
}
