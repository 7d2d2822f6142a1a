package publish

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Redis URL carries the password: it is only ever shown through MaskURL, and no error
// built here quotes it.

// MaskURL shows a Redis URL with its password hidden: redis://:****@host:6379/0.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable Redis URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "****")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "****")
		u.RawQuery = q.Encode()
	}
	// url.String escapes the asterisks of a password; put them back for reading.
	return strings.Replace(u.String(), "%2A%2A%2A%2A", "****", 2)
}

// CheckURL validates a Redis URL (redis:// or rediss:// for TLS, with optional user, password
// and database number). Its errors never contain the URL.
func CheckURL(raw string) (*redis.Options, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("the Redis URL is empty: give redis://[:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("the Redis URL is not a valid URL (%v): give redis://[:PASSWORD@]HOST:PORT[/DB]", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("the Redis URL must start with redis:// or rediss:// (TLS), not %q", u.Scheme+"://")
	}
	if u.Host == "" {
		return nil, errors.New("the Redis URL names no host: give redis://[:PASSWORD@]HOST:PORT[/DB]")
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("the Redis URL %s is not usable: %s", MaskURL(raw), scrub(err.Error(), raw))
	}
	return opt, nil
}

// scrub removes the URL and its password from a message that might quote them.
func scrub(msg, raw string) string {
	msg = strings.ReplaceAll(msg, raw, MaskURL(raw))
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "****")
		}
	}
	return msg
}

// Timeouts of a sink's client: short, so a slow Redis shows as an error in the health and
// is retried with backoff instead of holding writes up.
const (
	dialTimeout = 2 * time.Second
	ioTimeout   = 2 * time.Second
)

// newClient opens a client for a sink (no connection is made until the first command).
func newClient(raw string) (*redis.Client, error) {
	opt, err := CheckURL(raw)
	if err != nil {
		return nil, err
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = dialTimeout, ioTimeout, ioTimeout
	opt.MaxRetries = -1 // the sink retries with its own backoff
	opt.PoolSize = 4
	opt.DisableIdentity = true // no CLIENT SETINFO: older servers answer it with an error
	return redis.NewClient(opt), nil
}

// quietLogger keeps go-redis's internal log lines (pool and reconnection chatter) off the
// terminal the console draws on; the sink reports its errors through its health instead.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// Silence turns go-redis's own logging off. go-redis has one process-wide logger, so the
// commands that use Redis call this once at start.
func Silence() { redis.SetLogger(quietLogger{}) }
