package wxapi

import (
	"net/url"
	"strconv"
	"strings"
)

// LinkOptions are the parameters of the authorization pages (reference §2).
type LinkOptions struct {
	LoginBase      string // PC page host, default DefaultLoginBase
	MobileBase     string // mobile page host, default DefaultMobileBase
	ComponentAppID string
	PreAuthCode    string // the whole preauthcode@@@… value
	RedirectURI    string // must be on the registered 授权发起页域名
	AuthType       int    // 1 official accounts, 2 mini programs, 3 both, 4/5/6/8 others; 0 omits it
	BizAppID       string // restricts authorization to one account; "" omits it
	CategoryIDs    []int  // permission sets, sent |-joined as category_id_list; empty omits it
}

// PCLink is the PC authorization page (a QR code the admin scans):
//
//	{LoginBase}/cgi-bin/componentloginpage?component_appid=…&pre_auth_code=…&redirect_uri=…&auth_type=…
//
// followed by biz_appid and category_id_list when set. Every value is URL-encoded, the
// redirect_uri included (unencoded, WeChat mangles the callback). WeChat accepts the page only
// when it is opened from a page on the registered domain (it checks the Referer).
func PCLink(o LinkOptions) string {
	return base(o.LoginBase, DefaultLoginBase) + PathComponentLoginPage + "?" + o.query(nil)
}

// MobileLink is the H5 authorization page, to be opened inside WeChat (shown as a QR code):
//
//	{MobileBase}/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&component_appid=…&pre_auth_code=…&redirect_uri=…&auth_type=…&biz_appid=…#wechat_redirect
//
// #wechat_redirect is always the very last thing in the link, as WeChat requires.
func MobileLink(o LinkOptions) string {
	lead := [][2]string{{"action", "bindcomponent"}, {"no_scan", "1"}}
	return base(o.MobileBase, DefaultMobileBase) + PathBindComponent + "?" + o.query(lead) + "#wechat_redirect"
}

// query renders the parameters in the documented order. It is built by hand because
// url.Values.Encode sorts the keys, and WeChat's examples (and users comparing links) expect
// this order.
func (o LinkOptions) query(lead [][2]string) string {
	params := append(lead,
		[2]string{"component_appid", o.ComponentAppID},
		[2]string{"pre_auth_code", o.PreAuthCode},
		[2]string{"redirect_uri", o.RedirectURI},
	)
	if o.AuthType != 0 {
		params = append(params, [2]string{"auth_type", strconv.Itoa(o.AuthType)})
	}
	if o.BizAppID != "" {
		params = append(params, [2]string{"biz_appid", o.BizAppID})
	}
	if len(o.CategoryIDs) > 0 {
		ids := make([]string, len(o.CategoryIDs))
		for i, id := range o.CategoryIDs {
			ids[i] = strconv.Itoa(id)
		}
		params = append(params, [2]string{"category_id_list", strings.Join(ids, "|")})
	}
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p[0] + "=" + url.QueryEscape(p[1])
	}
	return strings.Join(parts, "&")
}

func base(b, def string) string {
	if b == "" {
		b = def
	}
	return strings.TrimRight(b, "/")
}
