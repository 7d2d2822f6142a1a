package tokenapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/tokenclient"
)

// TestScopes: the default scope is every authorizer of the platform, --appid narrows it,
// --component adds the component token; an appid out of scope and one that does not exist
// get the same 403; /v1/authorizers lists the scope without tokens.
func TestScopes(t *testing.T) {
	e := newEnv(t)
	all, _ := e.client(t, flow.ClientSpec{Name: "all"})
	onlyA, _ := e.client(t, flow.ClientSpec{Name: "only-a", AppIDs: []string{e.a}})
	comp, compKey := e.client(t, flow.ClientSpec{Name: "tpl", AppIDs: []string{e.a}, Component: true})

	for _, appid := range []string{e.a, e.b} {
		tok, err := all.Get(e.ctx, appid)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Token != e.stored(t, appid).AccessToken || tok.AuthorizerAppID != appid || tok.ComponentAppID != e.comp || tok.ExpiresIn < 300 {
			t.Fatalf("token of %s = %+v", appid, tok)
		}
		if info := e.sb.Sim.CheckToken(tok.Token); !info.Valid {
			t.Fatalf("the simulator refuses the token of %s: %+v", appid, info)
		}
	}
	if _, err := onlyA.Get(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	_, err := onlyA.Get(e.ctx, e.b)
	outOfScope := wantAPIError(t, err, http.StatusForbidden, "forbidden")
	_, err = all.Get(e.ctx, "wx00000000000000ff")
	missing := wantAPIError(t, err, http.StatusForbidden, "forbidden")
	if strings.ReplaceAll(outOfScope.Message, "only-a", "all") != missing.Message {
		t.Errorf("a missing appid is told apart from one out of scope:\n%s\n%s", outOfScope.Message, missing.Message)
	}
	_, err = all.ComponentToken(e.ctx)
	wantAPIError(t, err, http.StatusForbidden, "forbidden")
	ct, err := comp.ComponentToken(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info := e.sb.Sim.CheckToken(ct); !info.Valid || info.Kind != "component" {
		t.Fatalf("component token at the simulator: %+v", info)
	}
	// ?component_appid= naming another platform is out of scope.
	if code := e.status(t, "GET", "/v1/token/component?component_appid=wx0123456789abcdef", compKey, nil); code != http.StatusForbidden {
		t.Fatalf("another platform's component token: HTTP %d", code)
	}
	code, body := e.do(t, "GET", "/v1/authorizers", compKey, nil)
	var list struct {
		Authorizers []map[string]any `json:"authorizers"`
	}
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Authorizers) != 1 || list.Authorizers[0]["authorizer_appid"] != e.a {
		t.Fatalf("/v1/authorizers: %d %s", code, body)
	}
	mustNotContain(t, "/v1/authorizers", body, e.stored(t, e.a).AccessToken, e.stored(t, e.a).RefreshToken)
	if list.Authorizers[0]["status"] != "healthy" || list.Authorizers[0]["expires_in"].(float64) <= 0 {
		t.Fatalf("/v1/authorizers entry: %v", list.Authorizers[0])
	}
}

// TestUnauthorized: no key, another scheme, an unknown key, a key of the right shape: 401.
func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	_, key := e.client(t, flow.ClientSpec{Name: "svc"})
	for name, header := range map[string]string{
		"none":      "",
		"basic":     "Basic " + key,
		"unknown":   "Bearer wxa_" + strings.Repeat("A", 43),
		"truncated": "Bearer " + key[:len(key)-1],
		"no prefix": "Bearer " + strings.TrimPrefix(key, flow.ClientKeyPrefix),
	} {
		req, _ := http.NewRequestWithContext(e.ctx, "GET", e.url+"/v1/token/"+e.a, nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message, Remedy string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || body.Error.Code != "unauthorized" || body.Error.Remedy == "" {
			t.Errorf("%s: HTTP %d %+v", name, resp.StatusCode, body)
		}
	}
	_, err := tokenclient.New(e.url, "wxa_nope").Get(e.ctx, e.a)
	if !errors.Is(err, tokenclient.ErrUnauthorized) {
		t.Fatalf("tokenclient error %v is not ErrUnauthorized", err)
	}
}

// TestMinValid: a token living long enough is served as is (no WeChat call); one that does
// not, or that is past the refresher's margin, is renewed first; min_valid out of range is 400.
func TestMinValid(t *testing.T) {
	e := newEnv(t)
	_, key := e.client(t, flow.ClientSpec{Name: "svc"})
	get := func(q string) (int, map[string]any) {
		code, body := e.do(t, "GET", "/v1/token/"+e.a+q, key, nil)
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		return code, m
	}
	first := e.stored(t, e.a)
	life := first.AccessExpiresAt.Sub(first.AccessObtainedAt)
	// 25 minutes left: outside the margin (10 min + up to 5 min of jitter).
	e.sb.Sim.Advance(first.AccessExpiresAt.Sub(e.sb.Sim.Now()) - 25*time.Minute)
	minted := e.sb.Sim.Stats().AuthorizerTokensMinted
	code, m := get("")
	if code != 200 || m["token"] != first.AccessToken || e.sb.Sim.Stats().AuthorizerTokensMinted != minted {
		t.Fatalf("default min_valid with 25 min left: %d %v", code, m)
	}
	code, m = get("?min_valid=1800")
	if code != 200 || m["token"] == first.AccessToken || m["expires_in"].(float64) < 1800 {
		t.Fatalf("min_valid=1800 with 25 min left: %d %v", code, m)
	}
	if got := e.sb.Sim.Stats().AuthorizerTokensMinted; got != minted+1 {
		t.Fatalf("%d tokens minted for min_valid, want 1", got-minted)
	}
	if info := e.sb.Sim.CheckToken(m["token"].(string)); !info.Valid {
		t.Fatalf("renewed token refused by the simulator: %+v", info)
	}
	// Past the refresher's margin (5 minutes left), even min_valid=0 gets a new token.
	second := e.stored(t, e.a)
	e.sb.Sim.Advance(second.AccessExpiresAt.Sub(e.sb.Sim.Now()) - 5*time.Minute)
	code, m = get("?min_valid=0")
	if code != 200 || m["token"] == second.AccessToken || m["expires_in"].(float64) < (life/2).Seconds() {
		t.Fatalf("past the margin: %d %v", code, m)
	}
	for _, q := range []string{"?min_valid=-1", "?min_valid=3601", "?min_valid=soon"} {
		if code, m := get(q); code != http.StatusBadRequest {
			t.Errorf("%s: %d %v", q, code, m)
		}
	}
}
