package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// probeResult is what one HTTP probe got back.
type probeResult struct {
	status   int
	location string
	body     []byte
	took     time.Duration
	err      error
}

// probeClient is the engine's transport without following redirects (WeChat follows none)
// and with the doctor's timeout.
func (e *Engine) probeClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: e.hc.Transport, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *Engine) probe(ctx context.Context, timeout time.Duration, method, url string, body []byte) probeResult {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return probeResult{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	start := time.Now() // the round trip on the wall clock, whatever clock the engine runs on
	resp, err := e.probeClient(timeout).Do(req)
	if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // the URL, with the probe's query string, is already in the report
	}
	if err != nil {
		return probeResult{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return probeResult{status: resp.StatusCode, location: resp.Header.Get("Location"), body: b, took: time.Since(start), err: err}
}

// sendProbe seals a doctor_probe push with the platform's keys, posts it to eventURL and
// reports whether this database's listener logged its nonce.
func (e *Engine) sendProbe(ctx context.Context, p Platform, eventURL string, timeout time.Duration) (probeResult, bool, error) {
	c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
	if err != nil {
		return probeResult{}, false, err
	}
	nonce := e.randomID(12)
	now := e.clock.Now()
	msg := wxapi.PushMessage{AppID: p.ComponentAppID, CreateTime: now.Unix(), InfoType: wxapi.InfoTypeDoctorProbe, ProbeNonce: nonce}
	push, err := c.SealPush(e.random, msg.XML(), strconv.FormatInt(now.Unix(), 10), e.randomID(5))
	if err != nil {
		return probeResult{}, false, err
	}
	r := e.probe(ctx, timeout, http.MethodPost, eventURL+"?"+push.Query.Encode(), push.Body)
	if r.err != nil {
		return r, false, nil
	}
	// The listener logs the probe before it answers, so the log holds it by now.
	evs, err := e.Events(ctx, p.ComponentAppID, 200)
	if err != nil {
		return r, false, err
	}
	for _, ev := range evs {
		if ev.Kind == EventDoctorProbe && strings.Contains(ev.Message, nonce) {
			return r, true, nil
		}
	}
	return r, false, nil
}

// checkListenAddr: something listens on the platform's listen address, and it is a listener
// of this database (it logs our probe).
func (e *Engine) checkListenAddr(ctx context.Context, p Platform, opt DoctorOptions) Check {
	const name = "listener"
	addr := dialable(p.ListenAddr)
	r, seen, err := e.sendProbe(ctx, p, "http://"+addr+"/wechat/events", opt.Timeout)
	switch {
	case err != nil:
		return fail(name, "probing "+addr+": "+err.Error(), "")
	case errors.Is(r.err, syscall.ECONNREFUSED):
		return fail(name, "nothing listens on "+p.ListenAddr, "start the listener: `wxauth serve` (or keep the console open)")
	case r.err != nil:
		return fail(name, "probing "+addr+": "+r.err.Error(), "")
	case !seen:
		return fail(name, fmt.Sprintf("something listens on %s but it is not a wxauth listener of this database (HTTP %d)", p.ListenAddr, r.status),
			"stop what listens there, or move this platform: `wxauth platform update --listen ADDR`, then `wxauth serve`")
	}
	return ok(name, "a wxauth listener of this database answers on "+p.ListenAddr)
}

// checkEventURL: the 授权事件接收URL, through the user's tunnel or proxy, reaches this
// listener and answers exactly `success` fast enough for WeChat.
func (e *Engine) checkEventURL(ctx context.Context, p Platform, public string, opt DoctorOptions, listener Check) Check {
	const name = "event URL"
	url := public + "/wechat/events"
	r, seen, err := e.sendProbe(ctx, p, url, opt.Timeout)
	if err != nil {
		return fail(name, "probing "+url+": "+err.Error(), "")
	}
	c := judgeAnswer(name, url, r, opt)
	if c.Status == CheckFail {
		if listener.Status == CheckFail {
			c.Fix = "first the listener: " + listener.Fix
		}
		return c
	}
	if !seen {
		fix := "point the tunnel or reverse proxy at this machine's listener (" + p.ListenAddr + ")"
		if listener.Status == CheckFail {
			fix = listener.Fix
		}
		return fail(name, url+" answered `success` but this database's listener never saw the probe: another server answers there", fix)
	}
	if c.Status == CheckOK {
		c.Detail = url + " reaches this listener and answers `success` in " + r.took.Round(time.Millisecond).String()
	}
	return c
}

// judgeAnswer checks a push's answer as WeChat would: exactly `success`, no redirect, in time.
func judgeAnswer(name, url string, r probeResult, opt DoctorOptions) Check {
	took := r.took.Round(time.Millisecond)
	var ne net.Error
	tunnel := "check the tunnel or reverse proxy in front of the listener"
	switch {
	case errors.As(r.err, &ne) && ne.Timeout():
		return Check{Name: name, Status: CheckFail, Took: r.took, Detail: fmt.Sprintf("%s gave no answer within %s (WeChat gives up after 5 s)", url, opt.Timeout), Fix: tunnel}
	case r.err != nil:
		return Check{Name: name, Status: CheckFail, Took: r.took, Detail: url + " is unreachable: " + r.err.Error(), Fix: tunnel + " (is it running?)"}
	case r.status >= 300 && r.status < 400:
		return Check{Name: name, Status: CheckFail, Took: r.took, Detail: fmt.Sprintf("%s redirects (HTTP %d to %s): WeChat does not follow redirects", url, r.status, r.location),
			Fix: "register the final URL, or stop the proxy redirecting (e.g. http→https)"}
	case bytes.HasPrefix(r.body, []byte("\ufeff")):
		return Check{Name: name, Status: CheckFail, Took: r.took, Detail: url + " answers with a byte-order mark before `success`: WeChat counts that as a failure", Fix: "stop the proxy or middleware rewriting the body"}
	case r.status != http.StatusOK || string(r.body) != "success":
		return Check{Name: name, Status: CheckFail, Took: r.took, Detail: fmt.Sprintf("%s answered HTTP %d %q, not exactly `success`", url, r.status, abbreviate(string(r.body), 60)), Fix: tunnel}
	case r.took > opt.SlowAfter:
		return Check{Name: name, Status: CheckWarn, Took: r.took, Detail: fmt.Sprintf("%s answers `success` but took %s (WeChat gives up after 5 s)", url, took), Fix: "find what slows the tunnel or proxy"}
	}
	return Check{Name: name, Status: CheckOK, Took: r.took, Detail: fmt.Sprintf("%s answers `success` in %s", url, took)}
}

// checkLaunchPage: the launch page under the public URL is served by a wxauth listener (an
// unknown session gets its known error page).
func (e *Engine) checkLaunchPage(ctx context.Context, public string, opt DoctorOptions) Check {
	const name = "launch page"
	url := public + "/wechat/auth/start?session=doctor-" + e.randomID(6)
	r := e.probe(ctx, opt.Timeout, http.MethodGet, url, nil)
	c := judgeAnswer(name, url, r, opt)
	switch {
	case r.err != nil || (r.status >= 300 && r.status < 400):
		return c
	case r.status != http.StatusNotFound || !bytes.Contains(r.body, []byte(unknownSessionText)):
		return Check{Name: name, Status: CheckFail, Took: r.took, Detail: fmt.Sprintf("%s is not served by wxauth (HTTP %d)", url, r.status),
			Fix: "route /wechat/auth/ of the public URL to the listener"}
	}
	return Check{Name: name, Status: CheckOK, Took: r.took, Detail: public + "/wechat/auth/start is served by wxauth"}
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// checkMessageURL: the 消息与事件接收URL, through the user's tunnel or proxy, reaches a wxauth
// listener holding this platform's Token: WeChat's echo check (a signed GET whose random
// echostr must come back as it is) passes. The path carries an appid where WeChat puts the
// authorizer's ($APPID$).
func (e *Engine) checkMessageURL(ctx context.Context, p Platform, public string, opt DoctorOptions) Check {
	const name = "message URL"
	c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
	if err != nil {
		return fail(name, err.Error(), "")
	}
	ts, nonce, echo := strconv.FormatInt(e.clock.Now().Unix(), 10), e.randomID(5), "doctor-"+e.randomID(8)
	q := neturl.Values{"signature": {c.Signature(ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	base := public + "/wechat/messages/" + p.ComponentAppID
	r := e.probe(ctx, opt.Timeout, http.MethodGet, base+"?"+q.Encode(), nil)
	switch {
	case r.err != nil || (r.status >= 300 && r.status < 400):
		return judgeAnswer(name, base, r, opt)
	case r.status != http.StatusOK || string(r.body) != echo:
		return fail(name, fmt.Sprintf("%s did not pass WeChat's echo check (HTTP %d %q)", base, r.status, abbreviate(string(r.body), 60)),
			"route /wechat/messages/ of the public URL to the listener, and register "+p.MessageURL()+" as 消息与事件接收URL")
	case r.took > opt.SlowAfter:
		return warn(name, fmt.Sprintf("%s passes the echo check but took %s (WeChat gives up after 5 s)", base, r.took.Round(time.Millisecond)), "find what slows the tunnel or proxy")
	}
	return Check{Name: name, Status: CheckOK, Took: r.took, Detail: base + " passes WeChat's echo check in " + r.took.Round(time.Millisecond).String()}
}
