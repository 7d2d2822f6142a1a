package wxsim

import "fmt"

// errTexts are WeChat's errmsg texts (reference §5); the rid is appended when answering.
var errTexts = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40003: "invalid openid",
	40013: "invalid appid",
	40014: "invalid access_token",
	40097: "invalid args",
	40125: "invalid appsecret",
	41001: "access_token missing",
	41002: "appid missing",
	41004: "appsecret missing",
	42001: "access_token expired",
	43002: "require POST method",
	44004: "empty content",
	45009: "reach max api daily quota limit",
	47001: "data format error",
	48001: "api unauthorized",
	48006: "forbid to clear quota because of reaching the limit",
	61003: "component is not authorized by this account",
	61004: "access clientip is not registered",
	61005: "component ticket is expired",
	61006: "component ticket is invalid",
	61009: "code is invalid",
	61010: "code is expired",
	61011: "invalid component",
	61012: "invalid option name",
	61013: "invalid option value",
	61023: "refresh_token is invalid",
	61025: "read-only option",
	76001: "rid not found",
	76002: "rid is error",
	76003: "no permission",
	76021: "cgi_path not found",
}

// apiErr is an errcode and its text, without the rid.
type apiErr struct {
	code int
	msg  string
}

// errc is the error answer with errcode code and WeChat's text for it.
func errc(code int) *apiErr {
	msg, ok := errTexts[code]
	if !ok {
		msg = fmt.Sprintf("errcode %d", code)
	}
	return &apiErr{code: code, msg: msg}
}

// errBody is the wire shape of an error.
type errBody struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// okBody is the success answer of action-style APIs.
var okBody = errBody{ErrCode: 0, ErrMsg: "ok"}
