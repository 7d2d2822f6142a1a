package wxapi

import "context"

// ComponentToken exchanges the latest component_verify_ticket for a component_access_token
// (api_component_token, reference §1.1). Every call mints a new token; the previous one keeps
// working for 5 minutes only, so a platform must have a single refresher.
func (c *Client) ComponentToken(ctx context.Context, componentAppID, appSecret, ticket string) (ComponentToken, error) {
	return fetch[ComponentToken](ctx, c, call{
		path:    PathComponentToken,
		body:    ComponentTokenRequest{ComponentAppID: componentAppID, ComponentAppSecret: appSecret, ComponentVerifyTicket: ticket},
		secrets: []string{appSecret, ticket},
	})
}

// CreatePreAuthCode gets a single-use pre_auth_code for the authorization links
// (api_create_preauthcode, §1.2). Honour its expires_in: the docs disagree (600 vs 1800 s).
func (c *Client) CreatePreAuthCode(ctx context.Context, componentToken, componentAppID string) (PreAuthCode, error) {
	return fetch[PreAuthCode](ctx, c, call{
		path: PathCreatePreAuthCode, tokenParam: paramComponentToken, token: componentToken,
		body: ComponentAppIDRequest{ComponentAppID: componentAppID},
	})
}

// QueryAuth exchanges an authorization code (queryauthcode@@@…) for the authorizer's tokens
// (api_query_auth, §1.3). The code is single use and valid 3600 s.
func (c *Client) QueryAuth(ctx context.Context, componentToken, componentAppID, authCode string) (QueryAuth, error) {
	return fetch[QueryAuth](ctx, c, call{
		path: PathQueryAuth, tokenParam: paramComponentToken, token: componentToken,
		body:    QueryAuthRequest{ComponentAppID: componentAppID, AuthorizationCode: authCode},
		secrets: []string{authCode},
	})
}

// AuthorizerToken refreshes an authorizer_access_token with the authorizer's refresh token
// (api_authorizer_token, §1.4). Persist the refresh token it returns (§7).
func (c *Client) AuthorizerToken(ctx context.Context, componentToken, componentAppID, authorizerAppID, refreshToken string) (AuthorizerToken, error) {
	return fetch[AuthorizerToken](ctx, c, call{
		path: PathAuthorizerToken, tokenParam: paramComponentToken, token: componentToken,
		body: AuthorizerTokenRequest{
			ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID, AuthorizerRefreshToken: refreshToken,
		},
		secrets: []string{refreshToken},
	})
}

// GetAuthorizerInfo fetches an authorized account's details and its granted permission sets
// (api_get_authorizer_info, §1.5). Mini programs carry MiniProgramInfo.
func (c *Client) GetAuthorizerInfo(ctx context.Context, componentToken, componentAppID, authorizerAppID string) (AuthorizerInfoResponse, error) {
	return fetch[AuthorizerInfoResponse](ctx, c, call{
		path: PathGetAuthorizerInfo, tokenParam: paramComponentToken, token: componentToken,
		body: AuthorizerAppIDRequest{ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID},
	})
}

// MaxAuthorizerListCount is the largest page api_get_authorizer_list serves.
const MaxAuthorizerListCount = 500

// GetAuthorizerList fetches one page of authorized accounts (api_get_authorizer_list, §1.6).
// count may be at most 500. Items carry refresh_token, which may be empty.
func (c *Client) GetAuthorizerList(ctx context.Context, componentToken, componentAppID string, offset, count int) (AuthorizerList, error) {
	return fetch[AuthorizerList](ctx, c, call{
		path: PathGetAuthorizerList, tokenParam: paramComponentToken, token: componentToken,
		body: AuthorizerListRequest{ComponentAppID: componentAppID, Offset: offset, Count: count},
	})
}

// AllAuthorizers pages through api_get_authorizer_list, 500 at a time, until the offset reaches
// total_count. It also stops on an empty page, so a total_count that is larger than what the
// server really serves cannot loop forever. On error it returns the error with the items
// fetched so far. This is the recovery path for lost refresh tokens.
func (c *Client) AllAuthorizers(ctx context.Context, componentToken, componentAppID string) ([]AuthorizerListItem, error) {
	var all []AuthorizerListItem
	for offset := 0; ; {
		page, err := c.GetAuthorizerList(ctx, componentToken, componentAppID, offset, MaxAuthorizerListCount)
		if err != nil {
			return all, err
		}
		all = append(all, page.List...)
		// Advance by what was served, not by the page size, so a server that serves short
		// pages skips nobody.
		offset += len(page.List)
		if len(page.List) == 0 || offset >= page.TotalCount {
			return all, nil
		}
	}
}

// GetAuthorizerOption reads one authorizer option (legacy api_get_authorizer_option, §1.7).
// req.OptionValue is ignored.
func (c *Client) GetAuthorizerOption(ctx context.Context, componentToken string, req AuthorizerOptionRequest) (AuthorizerOption, error) {
	req.OptionValue = ""
	return fetch[AuthorizerOption](ctx, c, call{
		path: PathGetAuthorizerOption, tokenParam: paramComponentToken, token: componentToken,
		body: req,
	})
}

// SetAuthorizerOption sets one authorizer option (legacy api_set_authorizer_option, §1.7).
func (c *Client) SetAuthorizerOption(ctx context.Context, componentToken string, req AuthorizerOptionRequest) error {
	return c.do(ctx, call{
		path: PathSetAuthorizerOption, tokenParam: paramComponentToken, token: componentToken,
		body: req,
	})
}

// StartPushTicket asks WeChat to (re)start pushing component_verify_ticket
// (api_start_push_ticket, §1.8). The body key is component_secret. errmsg "ok" means pushing
// went from abnormal to normal, "in a normal state" that it already was.
func (c *Client) StartPushTicket(ctx context.Context, componentAppID, appSecret string) (Status, error) {
	return fetch[Status](ctx, c, call{
		path:    PathStartPushTicket,
		body:    StartPushTicketRequest{ComponentAppID: componentAppID, ComponentSecret: appSecret},
		secrets: []string{appSecret},
	})
}

// ClearQuota resets the platform's own API call counters with the legacy component/clear_quota
// (§1.9). It shares the budget of 10 resets per month with ClearQuotaV2.
func (c *Client) ClearQuota(ctx context.Context, componentToken, componentAppID string) error {
	return c.do(ctx, call{
		path: PathComponentClearQuota, tokenParam: paramComponentToken, token: componentToken,
		body: ComponentAppIDRequest{ComponentAppID: componentAppID},
	})
}

// ClearQuotaV2 resets a quota with the AppSecret (component/clear_quota/v2, §1.9); it works
// even when fetching a token is itself blocked by 45009. With req.AppID set it resets that
// authorized account's quota instead of the platform's.
func (c *Client) ClearQuotaV2(ctx context.Context, req ClearQuotaV2Request) error {
	return c.do(ctx, call{
		path:    PathClearQuotaV2,
		body:    req,
		secrets: []string{req.AppSecret},
	})
}

// GetQuota reads the daily quota and rate limit of one API (openapi/quota/get, §1.9), e.g.
// cgiPath "/cgi-bin/component/api_component_token".
func (c *Client) GetQuota(ctx context.Context, componentToken, cgiPath string) (Quota, error) {
	return fetch[Quota](ctx, c, call{
		path: PathQuotaGet, tokenParam: paramAccessToken, token: componentToken,
		body: QuotaGetRequest{CgiPath: cgiPath},
	})
}

// GetRid looks a failed call up by its rid (openapi/rid/get, §1.9). accessToken must belong to
// the account that made the call; rids are kept 7 days.
func (c *Client) GetRid(ctx context.Context, accessToken, rid string) (RidInfo, error) {
	return fetch[RidInfo](ctx, c, call{
		path: PathRidGet, tokenParam: paramAccessToken, token: accessToken,
		body: RidGetRequest{Rid: rid},
	})
}

// GetAccountBasicInfo calls cgi-bin/account/getaccountbasicinfo with an authorizer token: the
// cheapest way to prove that an authorizer_access_token works.
func (c *Client) GetAccountBasicInfo(ctx context.Context, authorizerToken string) (AccountBasicInfo, error) {
	return fetch[AccountBasicInfo](ctx, c, call{
		path: PathGetAccountBasicInfo, tokenParam: paramAccessToken, token: authorizerToken,
		body: struct{}{},
	})
}
