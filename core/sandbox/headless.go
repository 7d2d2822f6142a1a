package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxapi"
)

// Step is one stage of the headless run.
type Step struct {
	Name     string
	OK       bool
	Duration time.Duration
	Detail   string // what it produced (masked), or why it failed
}

// Report is the outcome of a headless run.
type Report struct {
	Steps       []Step
	Authorizers []flow.Authorizer
}

// RunHeadless walks the real path once, end to end, over HTTP: an encrypted ticket push,
// the component token, a pre_auth_code, our launch page and its link followed with the
// Referer, the merchant's approval on the simulator's page, the redirect to our callback,
// the exchange and the account info, one authorizer-token refresh, and the token proven at
// the simulator. step is called after each stage (for live output). It stops at the first
// failure and returns it. It is long because it is one table of steps, read top to bottom.
func (sb *Sandbox) RunHeadless(ctx context.Context, step func(Step)) (Report, error) {
	var rep Report
	appid := sb.Platform.ComponentAppID
	var session string
	var authorizer flow.Authorizer
	run := func(name string, fn func() (string, error)) error {
		start := time.Now()
		detail, err := fn()
		s := Step{Name: name, OK: err == nil, Duration: time.Since(start), Detail: detail}
		if err != nil {
			s.Detail = err.Error()
		}
		rep.Steps = append(rep.Steps, s)
		if step != nil {
			step(s)
		}
		return err
	}
	steps := []struct {
		name string
		fn   func() (string, error)
	}{
		{"ticket push (encrypted, over HTTP)", func() (string, error) {
			if err := sb.PushTicket(ctx); err != nil {
				return "", err
			}
			if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
				return "", err
			}
			t, _, err := sb.Engine.CurrentTicket(ctx, appid)
			return "ticket " + flow.Mask(t.Value), err
		}},
		{"component_access_token", func() (string, error) {
			t, err := sb.Engine.ComponentToken(ctx, appid)
			return fmt.Sprintf("%s, expires %s", flow.Mask(t.Token), t.ExpiresAt.Format(time.RFC3339)), err
		}},
		{"pre_auth_code and links", func() (string, error) {
			a, err := sb.Engine.StartAuthorization(ctx, appid, flow.AuthOptions{AuthType: 3})
			session = a.Session.ID
			return "launch page " + a.LaunchURL, err
		}},
		{"launch page, Referer, merchant approval, redirect to callback", func() (string, error) {
			who, err := sb.ApproveAs(ctx, session, "")
			return "approved as " + who, err
		}},
		{"api_query_auth exchange and authorizer info", func() (string, error) {
			s, err := sb.Engine.WaitSession(ctx, session)
			if err != nil {
				return "", err
			}
			authorizer, err = sb.Engine.Authorizer(ctx, appid, s.AuthorizerAppID)
			if err == nil && authorizer.NickName == "" {
				err = fmt.Errorf("authorizer %s stored without its account info", s.AuthorizerAppID)
			}
			return fmt.Sprintf("%s %s (%s), %d permission sets", authorizer.AppID, authorizer.NickName, authorizer.Kind, len(authorizer.FuncInfo)), err
		}},
		{"api_authorizer_token refresh", func() (string, error) {
			before := authorizer.AccessToken
			if err := sb.Engine.RefreshAuthorizer(ctx, appid, authorizer.AppID); err != nil {
				return "", err
			}
			var err error
			if authorizer, err = sb.Engine.Authorizer(ctx, appid, authorizer.AppID); err != nil {
				return "", err
			}
			if authorizer.AccessToken == before {
				return "", fmt.Errorf("the access token did not change")
			}
			return flow.Mask(authorizer.AccessToken), nil
		}},
		{"token proven at the simulator", func() (string, error) {
			c := wxapi.NewClient(&http.Client{Timeout: 10 * time.Second}, wxapi.WithBaseURL(sb.SimURL))
			info, err := c.GetAccountBasicInfo(ctx, authorizer.AccessToken)
			if err == nil && info.AppID != authorizer.AppID {
				err = fmt.Errorf("the simulator says the token belongs to %s", info.AppID)
			}
			return "getaccountbasicinfo answered for " + info.AppID, err
		}},
	}
	for _, s := range steps {
		if err := run(s.name, s.fn); err != nil {
			return rep, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	var err error
	rep.Authorizers, err = sb.Engine.Authorizers(ctx, appid)
	return rep, err
}
