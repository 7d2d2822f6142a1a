package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Levels of a checklist line.
const (
	OK   = "ok"
	Warn = "warn"
	Fail = "fail"
)

// Check is one line of the pre-release checklist.
type Check struct {
	Name  string `json:"name"`
	Level string `json:"level"`
	Msg   string `json:"message"`
	Fix   string `json:"fix,omitempty"`
}

// Setup is what the checklist looks at: the platform's URLs and its latest ticket.
type Setup struct {
	PublicURL, AuthDomain, EventURL, MessageURL string
	TicketReceivedAt                            time.Time // zero when none has arrived
	Now                                         time.Time
}

// Ticket ages: WeChat pushes every 10 minutes, a ticket is valid 12 h.
const (
	ticketFresh    = 30 * time.Minute
	ticketValidity = 12 * time.Hour
)

// Checklist is the pre-release checklist: what must hold on WeChat's side before 全网发布.
func Checklist(s Setup) []Check {
	var out []Check
	add := func(name, level, msg, fix string) { out = append(out, Check{name, level, msg, fix}) }
	u, err := url.Parse(s.PublicURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		add("public URL", Fail, fmt.Sprintf("public URL %q is not an absolute http(s) URL", s.PublicURL),
			"set it with `wxauth platform set --public-url https://your.domain`")
		return out
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		add("public URL", Warn, s.PublicURL+" is plain http", "serve it over https behind your proxy or tunnel")
	} else {
		add("public URL", OK, s.PublicURL, "")
	}
	switch {
	case strings.Contains(s.AuthDomain, "/") || strings.Contains(s.AuthDomain, ":/"):
		add("授权发起页域名", Fail, fmt.Sprintf("%q has a scheme or a path", s.AuthDomain), "register the bare host, e.g. auth.example.com")
	case hostOf(s.AuthDomain) != u.Hostname():
		add("授权发起页域名", Fail, fmt.Sprintf("%s differs from the public URL's host %s: the launch page would not be on the registered domain", s.AuthDomain, u.Hostname()),
			"make the 授权发起页域名 and the public URL's host the same")
	default:
		add("授权发起页域名", OK, s.AuthDomain+" (the launch page's host)", "")
	}
	add("授权事件接收URL", OK, s.EventURL, "")
	if !strings.Contains(s.MessageURL, "$APPID$") || !strings.HasPrefix(s.MessageURL, s.PublicURL) {
		add("消息与事件接收URL", Fail, fmt.Sprintf("%q must contain $APPID$ on the public URL", s.MessageURL), "register "+s.PublicURL+"/wechat/messages/$APPID$")
	} else {
		add("消息与事件接收URL", OK, s.MessageURL+" (register it exactly, $APPID$ included)", "")
	}
	switch age := s.Now.Sub(s.TicketReceivedAt); {
	case s.TicketReceivedAt.IsZero():
		add("ticket", Fail, "no component_verify_ticket has arrived: the test's first item [组件ticket正确接收] would fail",
			"make the 授权事件接收URL reach `wxauth serve`, then `wxauth ticket push`")
	case age > ticketValidity:
		add("ticket", Fail, "the latest ticket arrived "+age.Round(time.Minute).String()+" ago: pushes are not reaching the listener",
			"check the tunnel or proxy to the 授权事件接收URL, then `wxauth ticket push`")
	case age > ticketFresh:
		add("ticket", Warn, "the latest ticket arrived "+age.Round(time.Minute).String()+" ago (WeChat pushes every 10 minutes)",
			"check that the 授权事件接收URL still reaches `wxauth serve`")
	default:
		add("ticket", OK, "received "+age.Round(time.Second).String()+" ago", "")
	}
	add("permission sets", OK, "the message tests run only when 消息管理 (official account) or 客服消息管理 (mini program) is selected; wxauth answers both at the message URL", "")
	add("test accounts", OK, fmt.Sprintf("the release responder answers the %d official test accounts", len(TestAccounts())), "")
	return out
}

func hostOf(domain string) string {
	if h, _, err := net.SplitHostPort(domain); err == nil {
		return h
	}
	return domain
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// Item is one check item of a release test run, named as WeChat names it.
type Item struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	Why  string `json:"why"`
}

// Report is a release test run.
type Report struct {
	ComponentAppID  string `json:"component_appid"`
	AuthorizerAppID string `json:"authorizer_appid"`
	MessageURL      string `json:"message_url"`
	Passed          bool   `json:"passed"`
	Items           []Item `json:"items"`
}

// ErrNotSimulator says the API base does not answer the simulator's release test.
var ErrNotSimulator = fmt.Errorf("the API base is not a wxauth simulator")

// RunSimulated asks the simulator at apiBase to play the release test against the platform.
func RunSimulated(ctx context.Context, hc *http.Client, apiBase, componentAppID string) (Report, error) {
	body, _ := json.Marshal(map[string]string{"component_appid": componentAppID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(apiBase, "/")+"/sim/release-test", bytes.NewReader(body))
	if err != nil {
		return Report{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Report{}, fmt.Errorf("release test: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Report{}, fmt.Errorf("release test: %w", err)
	}
	if resp.StatusCode == http.StatusNotFound || !json.Valid(raw) {
		return Report{}, ErrNotSimulator
	}
	if resp.StatusCode != http.StatusOK {
		return Report{}, fmt.Errorf("release test: the simulator answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return Report{}, fmt.Errorf("release test: %w", err)
	}
	return rep, nil
}
