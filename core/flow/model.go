package flow

import (
	"encoding/json"
	"time"

	"wxauth/core/wxapi"
)

// The engine's own types: what the faces (console, commands, daemon) see of a platform and
// its accounts. They carry the domain's rules as methods, so a face asks "is this session
// waiting" or "how healthy is this account" instead of reading storage columns.

// Platform is one third-party platform (component) and where its pieces live.
type Platform struct {
	ComponentAppID string
	AppSecret      string
	Token          string // the message-verification Token
	EncodingAESKey string
	AuthDomain     string // 授权发起页域名, host[:port]
	PublicURL      string // base URL through which WeChat and browsers reach our listener
	ListenAddr     string // where our listener binds
	APIBase        string // "" = https://api.weixin.qq.com
	LoginBase      string // "" = https://mp.weixin.qq.com
	MobileBase     string // "" = https://open.weixin.qq.com
	CreatedAt      time.Time
}

// EventURL is the 授权事件接收URL to register: where WeChat pushes tickets and authorizations.
func (p Platform) EventURL() string { return p.PublicURL + "/wechat/events" }

// CallbackURL is where the merchant's browser lands after approving.
func (p Platform) CallbackURL() string { return p.PublicURL + "/wechat/auth/callback" }

// Ticket is one component_verify_ticket as received.
type Ticket struct {
	ComponentAppID string
	Value          string
	CreateTime     time.Time // the push's CreateTime
	ReceivedAt     time.Time
	Source         string // "push", "manual", …
}

// ExpiresAt is when WeChat stops accepting the ticket (12 h after it was created).
func (t Ticket) ExpiresAt() time.Time { return t.CreateTime.Add(TicketValidity) }

// ComponentToken is a platform's component_access_token.
type ComponentToken struct {
	ComponentAppID string
	Token          string
	ObtainedAt     time.Time
	ExpiresAt      time.Time
	version        int64 // compare-and-swap guard of the stored row
}

// ValidAt reports whether the token still works at now.
func (t ComponentToken) ValidAt(now time.Time) bool { return t.ExpiresAt.After(now) }

// Authorizer is an account (mini program or official account) authorized to a platform.
type Authorizer struct {
	ComponentAppID   string
	AppID            string
	NickName         string
	UserName         string // gh_ original id
	PrincipalName    string
	Kind             string // "miniprogram" or "officialaccount"
	FuncInfo         []int  // granted permission-set ids
	Status           AuthorizerStatus
	AccessToken      string
	AccessObtainedAt time.Time
	AccessExpiresAt  time.Time
	RefreshToken     string
	LastError        string
	LastErrorAt      time.Time
	AuthorizedAt     time.Time
	UpdatedAt        time.Time

	infoJSON      string // api_get_authorizer_info's authorizer_info, decoded on demand
	accessVersion int64  // compare-and-swap guard of the stored access token
}

// DisplayName is "Nick (appid)", or the appid alone before the account's info is known.
func (a Authorizer) DisplayName() string {
	if a.NickName == "" {
		return a.AppID
	}
	return a.NickName + " (" + a.AppID + ")"
}

// Health is how an account's token stands at one instant.
type Health string

// Healths, from good to bad.
const (
	HealthOK          Health = "healthy"
	HealthExpired     Health = "expired" // healthy, but its token ran out (nobody refreshed it)
	HealthSuperseded  Health = "superseded"
	HealthNoToken     Health = "no token"
	HealthError       Health = "error"
	HealthNeedsReauth Health = "needs re-auth"
	HealthRevoked     Health = "revoked"
)

// Health is the account's health at now: its status, and for a healthy one whether its token
// has outlived its expiry.
func (a Authorizer) Health(now time.Time) Health {
	switch a.Status {
	case AuthorizerHealthy:
		if !a.AccessExpiresAt.IsZero() && !a.AccessExpiresAt.After(now) {
			return HealthExpired
		}
		return HealthOK
	case AuthorizerSuperseded:
		return HealthSuperseded
	case AuthorizerNeedsReauth:
		return HealthNeedsReauth
	case AuthorizerRevoked:
		return HealthRevoked
	case AuthorizerNoToken:
		return HealthNoToken
	case AuthorizerError:
		return HealthError
	}
	return Health(a.Status)
}

// AccountInfo is what api_get_authorizer_info said about the account, beyond its name.
type AccountInfo struct {
	Alias      string
	Categories []string // mini-program categories, "first/second"
}

// Account decodes the stored account info; ok is false when none was fetched (or it is
// unreadable). It decodes on each call: faces that draw it every frame cache it.
func (a Authorizer) Account() (info AccountInfo, ok bool) {
	if a.infoJSON == "" {
		return info, false
	}
	var raw wxapi.AuthorizerInfo
	if json.Unmarshal([]byte(a.infoJSON), &raw) != nil {
		return info, false
	}
	info.Alias = raw.Alias
	if mp := raw.MiniProgramInfo; mp != nil {
		for _, c := range mp.Categories {
			info.Categories = append(info.Categories, c.First+"/"+c.Second)
		}
	}
	return info, true
}

// Session is one authorization attempt: a pre_auth_code and the links built from it.
type Session struct {
	ID               string
	ComponentAppID   string
	PreAuthCode      string
	PreAuthExpiresAt time.Time
	PCLink           string
	MobileLink       string
	State            SessionState
	AuthCode         string
	CodeSource       string // redirect, push, paste
	AuthorizerAppID  string
	Error            string
	CreatedAt        time.Time
	FinishedAt       time.Time

	claimedAt time.Time // when its code was claimed (wall clock), and by which process
	claimedBy string
	mayBeUsed bool // an earlier exchange of its code may have reached WeChat (resumed, retried)
}

// Waiting reports whether the session still waits for the merchant at now: pending, with a
// pre_auth_code that has not expired.
func (s Session) Waiting(now time.Time) bool {
	return s.State == SessionPending && now.Before(s.PreAuthExpiresAt)
}

// InProgress reports whether the session is still going at now: waiting for the merchant, or
// exchanging the code that arrived.
func (s Session) InProgress(now time.Time) bool {
	return s.Waiting(now) || s.State == SessionExchanging
}

// Expired reports whether the merchant never approved before the pre_auth_code ran out.
func (s Session) Expired(now time.Time) bool {
	return s.State == SessionPending && !now.Before(s.PreAuthExpiresAt)
}
