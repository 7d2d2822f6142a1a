package wxsim_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

func TestUnauthorize(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	ai := e.exchange(tok, mp)
	if err := e.sim.Unauthorize(e.ctx, e.p.ComponentAppID, mp); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, ai.AuthorizerRefreshToken)
	wantCode(t, err, 61003)
	_, err = e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, mp)
	wantCode(t, err, 61003)
	_, err = e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken)
	wantCode(t, err, 40001)
	if err := e.sim.Unauthorize(e.ctx, e.p.ComponentAppID, mp); err == nil {
		t.Error("unauthorizing twice succeeded")
	}
	p := e.rc.nextOf(t, wxapi.InfoTypeUnauthorized)
	if p.Msg.AuthorizerAppID != mp || p.Msg.AuthorizationCode != "" {
		t.Errorf("unauthorized push = %+v", p.Msg)
	}
}

func TestGetAuthorizerInfo(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	oa := e.accountsOf(wxsim.KindOfficialAccount)[0]
	mpInfo := e.exchange(tok, mp)
	e.exchange(tok, oa)

	info, err := e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, mp)
	if err != nil {
		t.Fatal(err)
	}
	acc := e.world.Accounts[0]
	ai := info.AuthorizerInfo
	if !ai.IsMiniProgram() || ai.NickName != acc.NickName || ai.UserName != acc.UserName || ai.PrincipalName != acc.PrincipalName {
		t.Errorf("authorizer_info = %+v", ai)
	}
	if info.AuthorizationInfo.AuthorizerRefreshToken != mpInfo.AuthorizerRefreshToken || info.AuthorizationInfo.AuthorizerAccessToken != "" {
		t.Errorf("authorization_info = %+v: refresh token yes, access token no", info.AuthorizationInfo)
	}
	oaInfo, err := e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, oa)
	if err != nil {
		t.Fatal(err)
	}
	if oaInfo.AuthorizerInfo.IsMiniProgram() || oaInfo.AuthorizerInfo.ServiceTypeInfo.ID != 2 {
		t.Errorf("official account info = %+v", oaInfo.AuthorizerInfo)
	}
	// The real endpoint escapes slashes.
	_, _, raw := e.post(wxapi.PathGetAuthorizerInfo, "component_access_token="+tok,
		`{"component_appid":"`+e.p.ComponentAppID+`","authorizer_appid":"`+mp+`"}`)
	if !strings.Contains(raw, `"head_img":"http:\/\/wx.qlogo.cn\/mmopen\/`) || !strings.Contains(raw, `"MiniProgramInfo":{`) {
		t.Errorf("raw body: %s", raw)
	}
	_, err = e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, e.accountsOf(wxsim.KindMiniProgram)[1])
	wantCode(t, err, 61003)
}

func TestAuthorizerListPaging(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	var exchanged []string
	for i, a := range e.world.Accounts {
		if i == len(e.world.Accounts)-1 {
			e.authorize(tok, a.AppID) // authorized but never exchanged: empty refresh_token
			continue
		}
		e.exchange(tok, a.AppID)
		exchanged = append(exchanged, a.AppID)
		e.sim.Advance(time.Second)
	}
	var got []wxapi.AuthorizerListItem
	for offset := 0; ; offset += 2 {
		page, err := e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, offset, 2)
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != len(e.world.Accounts) {
			t.Errorf("total_count = %d", page.TotalCount)
		}
		if len(page.List) == 0 {
			break
		}
		if len(page.List) > 2 {
			t.Fatalf("page of %d items with count 2", len(page.List))
		}
		got = append(got, page.List...)
	}
	if len(got) != len(e.world.Accounts) {
		t.Fatalf("paged %d items, want %d", len(got), len(e.world.Accounts))
	}
	for i, item := range got {
		if item.AuthorizerAppID != e.world.Accounts[i].AppID || item.AuthTime != start.Unix()+int64(i) {
			t.Errorf("item %d = %+v (order is by auth_time)", i, item)
		}
		wantRefresh := i < len(exchanged)
		if (item.RefreshToken != "") != wantRefresh || (wantRefresh && !refreshTokenRe.MatchString(item.RefreshToken)) {
			t.Errorf("item %d refresh_token %q", i, item.RefreshToken)
		}
	}
	all, err := e.client.AllAuthorizers(e.ctx, tok, e.p.ComponentAppID)
	if err != nil || len(all) != len(got) {
		t.Errorf("AllAuthorizers = %d items, %v", len(all), err)
	}
	_, _, raw := e.post(wxapi.PathGetAuthorizerList, "component_access_token="+tok,
		`{"component_appid":"`+e.p.ComponentAppID+`","offset":0,"count":1}`)
	if !regexp.MustCompile(`^\{"total_count":4,"list":\[\{"authorizer_appid":"wx[0-9a-f]{16}","refresh_token":"refreshtoken@@@[A-Za-z0-9_-]{43}","auth_time":\d+\}\]\}$`).MatchString(raw) {
		t.Errorf("raw list: %s", raw)
	}
	_, err = e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, 0, 0)
	wantCode(t, err, 40097)
	_, _, raw = e.post(wxapi.PathGetAuthorizerList, "component_access_token="+tok, `{"component_appid":"`+e.p.ComponentAppID+`"}`)
	if !strings.Contains(raw, `"errcode":40097`) {
		t.Errorf("offset and count are required: %s", raw)
	}
}

// TestAuthorizerInfoCarriesEveryKey asks api_get_authorizer_info over HTTP and checks the
// answer has every key of a real one (reference §1.5), in the order of the captured answers
// in testdata/wxapi, with the network lists present as arrays, never null or missing.
func TestAuthorizerInfoCarriesEveryKey(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) {
		w.Accounts[3].Alias, w.Accounts[3].Signature = "qinghe_books", "书与咖啡"
	})
	tok := e.componentToken()
	mp, oa := e.accountsOf(wxsim.KindMiniProgram)[0], e.accountsOf(wxsim.KindOfficialAccount)[0]
	e.exchange(tok, mp)
	e.exchange(tok, oa)
	infoOf := func(appid string) jsonObject {
		t.Helper()
		_, _, raw := e.post(wxapi.PathGetAuthorizerInfo, "component_access_token="+tok,
			`{"component_appid":"`+e.p.ComponentAppID+`","authorizer_appid":"`+appid+`"}`)
		return parseObject(t, parseObject(t, []byte(raw)).values["authorizer_info"])
	}

	mpInfo := infoOf(mp)
	mpInfo.wantKeys(t, "mini program authorizer_info", fixtureKeys(t, "authorizer_info_miniprogram.json"))
	mpi := parseObject(t, mpInfo.values["MiniProgramInfo"])
	mpi.wantKeys(t, "MiniProgramInfo", []string{"network", "categories", "visit_status"})
	network := []string{"RequestDomain", "WsRequestDomain", "UploadDomain", "DownloadDomain", "BizDomain",
		"UDPDomain", "TCPDomain", "PrefetchDNSDomain", "NewRequestDomain", "NewWsRequestDomain", "NewUploadDomain",
		"NewDownloadDomain", "NewBizDomain", "NewUDPDomain", "NewTCPDomain", "NewPrefetchDNSDomain"}
	nw := parseObject(t, mpi.values["network"])
	nw.wantKeys(t, "network", network)
	for _, k := range network {
		if string(nw.values[k]) != "[]" {
			t.Errorf("network.%s = %s, want []", k, nw.values[k])
		}
	}
	parseObject(t, mpInfo.values["basic_config"]).wantKeys(t, "basic_config", []string{"is_phone_configured", "is_email_configured"})
	if v := mpInfo.values; string(v["alias"]) != `""` || string(v["signature"]) != `""` || string(v["register_type"]) != "0" {
		t.Errorf("alias %s, signature %s, register_type %s", v["alias"], v["signature"], v["register_type"])
	}

	oaInfo := infoOf(oa)
	oaInfo.wantKeys(t, "official account authorizer_info", fixtureKeys(t, "authorizer_info_official_account.json"))
	if v := oaInfo.values; string(v["alias"]) != `"qinghe_books"` || string(v["signature"]) != `"书与咖啡"` {
		t.Errorf("alias %s, signature %s", v["alias"], v["signature"])
	}
}

// jsonObject is a decoded JSON object that remembers its key order.
type jsonObject struct {
	keys   []string
	values map[string]json.RawMessage
}

func parseObject(t *testing.T, raw []byte) jsonObject {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	obj := jsonObject{values: map[string]json.RawMessage{}}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		obj.keys = append(obj.keys, k.(string))
		obj.values[k.(string)] = v
	}
	return obj
}

func (o jsonObject) wantKeys(t *testing.T, what string, keys []string) {
	t.Helper()
	if got, want := strings.Join(o.keys, " "), strings.Join(keys, " "); got != want {
		t.Errorf("%s keys:\n got %s\nwant %s", what, got, want)
	}
}

// fixtureKeys is the key order of authorizer_info in a captured answer.
func fixtureKeys(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "wxapi", name))
	if err != nil {
		t.Fatal(err)
	}
	return parseObject(t, parseObject(t, data).values["authorizer_info"]).keys
}

// TestPriorAuthorizations: accounts a world declares authorized (by another system) are
// listed with their refresh token, which works for api_authorizer_token; not_exchanged ones
// are listed without it. Bad declarations name the field.
func TestPriorAuthorizations(t *testing.T) {
	mps := []string{"wx8d5e2f7a1c3b9046", "wx2c7b1e9f0a4d6835"}
	e := newEnv(t, func(w *wxsim.World) {
		w.Authorizations = []wxsim.PriorAuthorization{
			{ComponentAppID: w.Platforms[0].ComponentAppID, AuthorizerAppID: mps[0], CategoryIDs: []int{17, 18}},
			{ComponentAppID: w.Platforms[0].ComponentAppID, AuthorizerAppID: mps[1], NotExchanged: true},
		}
	})
	tok := e.componentToken()
	list, err := e.client.AllAuthorizers(e.ctx, tok, e.p.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	rts := map[string]string{}
	for _, it := range list {
		rts[it.AuthorizerAppID] = it.RefreshToken
	}
	if len(list) != 2 || rts[mps[0]] == "" || rts[mps[1]] != "" {
		t.Fatalf("list = %+v: the exchanged one with a refresh token, the other without", list)
	}
	got, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mps[0], rts[mps[0]])
	if err != nil || got.AuthorizerAccessToken == "" {
		t.Fatalf("api_authorizer_token with the listed refresh token: %+v %v", got, err)
	}
	info, err := e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, mps[0])
	if err != nil || len(info.AuthorizationInfo.FuncInfo) != 2 {
		t.Fatalf("info of a prior authorization: %+v %v", info.AuthorizationInfo, err)
	}
	if w := e.sim.World(); len(w.Authorizations) != 2 {
		t.Errorf("World() lost the authorizations: %+v", w.Authorizations)
	}

	bad := []struct {
		name string
		auth wxsim.PriorAuthorization
		want string
	}{
		{"unknown platform", wxsim.PriorAuthorization{ComponentAppID: "wx0000000000000000", AuthorizerAppID: mps[0]}, "authorizations[0].component_appid"},
		{"unknown account", wxsim.PriorAuthorization{ComponentAppID: e.p.ComponentAppID, AuthorizerAppID: "wx0000000000000000"}, "authorizations[0].authorizer_appid"},
		{"platform as account", wxsim.PriorAuthorization{ComponentAppID: e.p.ComponentAppID, AuthorizerAppID: e.p.ComponentAppID}, "not an account"},
		{"bad permission set", wxsim.PriorAuthorization{ComponentAppID: e.p.ComponentAppID, AuthorizerAppID: mps[0], CategoryIDs: []int{0}}, "category_id_list[0]"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			w := wxsim.DefaultWorld()
			w.Authorizations = []wxsim.PriorAuthorization{tt.auth}
			if err := w.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
	w := wxsim.DefaultWorld()
	twice := wxsim.PriorAuthorization{ComponentAppID: w.Platforms[0].ComponentAppID, AuthorizerAppID: mps[0]}
	w.Authorizations = []wxsim.PriorAuthorization{twice, twice}
	if err := w.Validate(); err == nil || !strings.Contains(err.Error(), "authorizations[1].authorizer_appid") {
		t.Errorf("a duplicate authorization: %v", err)
	}
}
