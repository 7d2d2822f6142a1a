package flow

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// The doctor checks a platform's set-up from the outside in: what WeChat and a merchant's
// browser reach (the public URL, through the user's tunnel or proxy), then the listener, the
// API (IP whitelist, credentials), the ticket, the clock and the database. Each check is
// one line with a fix, so a user learns in seconds what would otherwise surface hours later
// as 61006 or a release test that never passes.

// CheckStatus is a check's verdict.
type CheckStatus string

// Check verdicts.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
)

// Check is one line of the doctor's report.
type Check struct {
	Name   string
	Status CheckStatus
	Detail string
	Fix    string        // what to do; "" when ok
	Took   time.Duration // round trip of a probe, 0 when the check makes none
}

// DoctorReport is the doctor's verdict on one platform.
type DoctorReport struct {
	ComponentAppID string
	PublicURL      string
	Checks         []Check
}

// Failed reports whether any check failed.
func (r DoctorReport) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			return true
		}
	}
	return false
}

// DoctorOptions tune the doctor. Zero values take the defaults.
type DoctorOptions struct {
	PublicURL string        // probe this base URL instead of the platform's registered one
	Timeout   time.Duration // a probe slower than this fails (WeChat gives up after 5 s)
	SlowAfter time.Duration // a probe slower than this warns (default 2 s)
}

// Defaults of DoctorOptions.
const (
	DoctorTimeout   = 5 * time.Second
	DoctorSlowAfter = 2 * time.Second
	// clockSkewWarn: WeChat checks timestamps; a clock off by more than this is worth fixing.
	clockSkewWarn = time.Minute
	// ticketLateWarn: WeChat pushes a ticket every 10 minutes; none for this long means pushes
	// are not arriving.
	ticketLateWarn = 30 * time.Minute
)

// Doctor runs every check for the platform. Only a failure to read the platform is an error;
// everything else is a check's verdict.
func (e *Engine) Doctor(ctx context.Context, componentAppID string, opt DoctorOptions) (DoctorReport, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return DoctorReport{}, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DoctorTimeout
	}
	if opt.SlowAfter <= 0 || opt.SlowAfter > opt.Timeout {
		opt.SlowAfter = min(DoctorSlowAfter, opt.Timeout)
	}
	public := strings.TrimRight(p.PublicURL, "/")
	if opt.PublicURL != "" {
		public = strings.TrimRight(strings.TrimSpace(opt.PublicURL), "/")
	}
	r := DoctorReport{ComponentAppID: p.ComponentAppID, PublicURL: public}
	listening := e.checkListenAddr(ctx, p, opt)
	r.Checks = append(r.Checks,
		e.checkEventURL(ctx, p, public, opt, listening),
		e.checkMessageURL(ctx, p, public, opt),
		e.checkLaunchPage(ctx, public, opt),
		checkAuthDomainMatches(p, public),
		listening,
		e.checkAPI(ctx, p),
		e.checkTicket(ctx, p),
		e.checkClock(ctx, p, opt),
		e.checkDatabase(ctx),
	)
	return r, nil
}

func ok(name, detail string) Check { return Check{Name: name, Status: CheckOK, Detail: detail} }

func warn(name, detail, fix string) Check {
	return Check{Name: name, Status: CheckWarn, Detail: detail, Fix: fix}
}

func fail(name, detail, fix string) Check {
	return Check{Name: name, Status: CheckFail, Detail: detail, Fix: fix}
}

// checkAuthDomainMatches: the launch page must be served from the registered 授权发起页域名,
// and the redirect URI (under the public URL) must have the same host, or WeChat refuses the
// authorization.
func checkAuthDomainMatches(p Platform, public string) Check {
	const name = "auth domain"
	u, err := url.Parse(public)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fail(name, fmt.Sprintf("the public URL %q is not an http(s) URL", public),
			"set it with `wxauth platform update --public-url https://your.domain`")
	}
	if strings.Contains(p.AuthDomain, "/") || strings.Contains(p.AuthDomain, ":/") {
		return fail(name, fmt.Sprintf("the auth domain %q has a scheme or path", p.AuthDomain),
			"register and set the bare host, e.g. auth.example.com")
	}
	if !strings.EqualFold(u.Host, p.AuthDomain) {
		return fail(name, fmt.Sprintf("the launch page and redirect URI are on %s but the registered 授权发起页域名 is %s", u.Host, p.AuthDomain),
			"make them the same host: register "+u.Host+" as 授权发起页域名 (and `wxauth platform update --domain "+u.Host+"`), or serve the public URL on "+p.AuthDomain)
	}
	return ok(name, "the launch page and the redirect URI are on the registered 授权发起页域名 "+p.AuthDomain)
}

// checkTicket: a ticket arrives every 10 minutes once WeChat pushes to the event URL.
func (e *Engine) checkTicket(ctx context.Context, p Platform) Check {
	const name = "ticket"
	fix := "check the event URL line above, then ask for one: `wxauth ticket push`"
	t, err := e.loadTicket(ctx, p.ComponentAppID)
	if errors.Is(err, storage.ErrNotFound) {
		return fail(name, "no component_verify_ticket has arrived yet", fix)
	}
	if err != nil {
		return fail(name, "reading the ticket: "+err.Error(), "")
	}
	age := e.clock.Now().Sub(t.ReceivedAt).Round(time.Second)
	switch {
	case e.clock.Now().After(t.ExpiresAt()):
		return fail(name, fmt.Sprintf("the newest ticket is past its 12 h validity (received %s ago)", age), fix)
	case age > ticketLateWarn:
		return warn(name, fmt.Sprintf("the newest ticket came %s ago (WeChat pushes one every 10 minutes): pushes may not be arriving", age), fix)
	}
	return ok(name, fmt.Sprintf("received %s ago (from %s)", age, t.Source))
}

// checkAPI makes one cheap call: the authorizer list (count 1) with the stored component
// token, minting one only when none is valid. It shows the IP whitelist and the credentials.
func (e *Engine) checkAPI(ctx context.Context, p Platform) Check {
	const name = "API access"
	tok, err := e.loadComponentToken(ctx, p.ComponentAppID)
	if err != nil || !lastsEnough(e.clock.Now(), tok.ObtainedAt, tok.ExpiresAt) {
		tok, err = e.ComponentToken(ctx, p.ComponentAppID)
	}
	if err == nil {
		err = e.call(ctx, p, "api_get_authorizer_list", func(ctx context.Context, c *wxapi.Client) error {
			_, err := c.GetAuthorizerList(ctx, tok.Token, p.ComponentAppID, 0, 1)
			return err
		})
	}
	if err == nil {
		return ok(name, "IP whitelisted and credentials accepted (api_get_authorizer_list)")
	}
	var we *wxapi.Error
	var ue *UserError
	switch {
	case errors.As(err, &we):
		info := we.Info()
		detail := fmt.Sprintf("%s: %d %s", we.API, we.ErrCode, info.Meaning)
		if we.ErrCode == wxapi.CodeIPNotRegistered && we.RequestIP != "" {
			detail += " (WeChat saw the IP " + we.RequestIP + ")"
		}
		return fail(name, detail, info.Remedy)
	case errors.As(err, &ue):
		return warn(name, "not checked: "+ue.Msg, ue.Remedy)
	}
	return fail(name, "calling WeChat: "+err.Error(), "check the network path to "+e.client(p).BaseURL())
}

// checkClock compares the API host's Date header with our clock: WeChat checks timestamps,
// and token lifetimes are counted on our clock.
func (e *Engine) checkClock(ctx context.Context, p Platform, opt DoctorOptions) Check {
	const name = "clock"
	base := e.client(p).BaseURL()
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, base+"/", nil)
	if err != nil {
		return fail(name, err.Error(), "")
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return warn(name, "could not reach "+base+" to compare clocks: "+err.Error(), "")
	}
	resp.Body.Close()
	at, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return warn(name, base+" sent no usable Date header", "")
	}
	skew := e.clock.Now().Sub(at).Round(time.Second)
	if skew.Abs() > clockSkewWarn {
		return warn(name, fmt.Sprintf("this host's clock is %s off the API host's", skew),
			"synchronise the clock (e.g. enable NTP: `timedatectl set-ntp true`)")
	}
	return ok(name, fmt.Sprintf("within %s of %s", max(skew.Abs(), time.Second), base))
}

// checkDatabase runs PRAGMA integrity_check and checks the file modes (0600 file, 0700
// directory: the database holds secrets).
func (e *Engine) checkDatabase(ctx context.Context) Check {
	const name = "database"
	db, isFile := e.raw.(interface {
		Path() string
		IntegrityCheck(ctx context.Context) (string, error)
	})
	if !isFile {
		return ok(name, "not a file database: integrity and modes not checked")
	}
	if db.Path() == "" {
		return e.checkServerDatabase(ctx, db)
	}
	path := db.Path()
	verdict, err := db.IntegrityCheck(ctx)
	if err != nil || verdict != "ok" {
		if err != nil {
			verdict = err.Error()
		}
		return fail(name, "integrity check of "+path+": "+verdict, "stop every wxauth process and restore the database from a backup")
	}
	for _, f := range []struct {
		path string
		want os.FileMode
	}{{path, 0o600}, {filepath.Dir(path), 0o700}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			return fail(name, err.Error(), "")
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return warn(name, fmt.Sprintf("%s is mode %04o: other users may read the secrets in it", f.path, fi.Mode().Perm()),
				fmt.Sprintf("chmod %04o %s", f.want, f.path))
		}
	}
	return ok(name, path+": integrity ok, owner-only")
}

// dialable is addr with an unspecified host (0.0.0.0, ::) replaced by loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// checkServerDatabase is checkDatabase for a server database: CHECK TABLE instead of PRAGMA
// integrity_check, and the schema version; file modes do not apply (who may read the secrets is
// the server's grants).
func (e *Engine) checkServerDatabase(ctx context.Context, db interface {
	IntegrityCheck(ctx context.Context) (string, error)
}) Check {
	const name = "database"
	where := "the server database"
	if l, ok := db.(interface{ Location() string }); ok {
		where = l.Location()
	}
	verdict, err := db.IntegrityCheck(ctx)
	if err != nil {
		return fail(name, where+": "+err.Error(), "check that the server is up and reachable from this host, and the user's grants (README: Running on several hosts)")
	}
	if verdict != "ok" {
		return fail(name, "CHECK TABLE on "+where+": "+verdict, "repair the table on the server (REPAIR TABLE, or restore from a backup) before wxauth writes more")
	}
	return ok(name, where+": CHECK TABLE ok (file modes do not apply: the server's grants decide who reads it)")
}
