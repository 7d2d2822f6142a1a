package wxsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// PushRecord describes one push attempt (no secrets: the ticket and codes are left out).
type PushRecord struct {
	Time            time.Time `json:"time"` // virtual time of the push
	ComponentAppID  string    `json:"component_appid"`
	InfoType        string    `json:"info_type"`
	AuthorizerAppID string    `json:"authorizer_appid,omitempty"`
	OK              bool      `json:"ok"`
	Error           string    `json:"error,omitempty"`
}

// recentPushes is how many PushRecords Stats keeps.
const recentPushes = 20

// PushTicket pushes the platform's ticket now and waits for the receiver's answer. rotate
// issues a new ticket first; otherwise the ticket rotates by itself after ticket_repeats
// pushes (or when it has expired). The error wraps ErrPushFailed when the receiver did not
// answer "success" in time, ErrNoEventURL when there is nowhere to push.
func (s *Sim) PushTicket(ctx context.Context, componentAppID string, rotate bool) error {
	return s.pushTicket(ctx, s.defaultPlatform(componentAppID), rotate)
}

// pushTicket is PushTicket once the component appid is resolved.
func (s *Sim) pushTicket(ctx context.Context, componentAppID string, rotate bool) error {
	s.mu.Lock()
	ps, ok := s.platforms[componentAppID]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	if ps.platform.EventURL == "" {
		s.stats.pushesSkipped++
		s.mu.Unlock()
		return fmt.Errorf("%s: %w", componentAppID, ErrNoEventURL)
	}
	now := s.clock.Now()
	expired := !now.Before(ps.ticketIssued.Add(s.settings.TicketTTL.D()))
	if rotate || expired || ps.ticketPushes >= s.settings.TicketRepeats {
		s.newTicket(ps, now)
	}
	ps.ticketPushes++
	msg := wxapi.PushMessage{
		AppID: componentAppID, CreateTime: now.Unix(), InfoType: wxapi.InfoTypeVerifyTicket,
		ComponentVerifyTicket: ps.ticket,
	}
	turn := ps.line.join()
	s.mu.Unlock()

	err := s.deliverInTurn(ctx, turn, componentAppID, msg)
	s.mu.Lock()
	ps.pushNormal = err == nil
	s.mu.Unlock()
	return err
}

// background runs fn in a goroutine that Close waits for; nothing starts after Close, and
// it reports whether fn was started.
func (s *Sim) background(fn func(ctx context.Context)) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.bg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bg.Done()
		fn(s.bgCtx)
	}()
	return true
}

func (s *Sim) pushTicketAsync(componentAppID string) {
	s.background(func(ctx context.Context) { _ = s.pushTicket(ctx, componentAppID, false) })
}

// queueEvent, with s.mu held, puts an authorization event in the platform's push line, in
// the same critical section that built it (and gave it its CreateTime), and returns what
// sends it in the background; call that after unlocking.
func (s *Sim) queueEvent(componentAppID string, msg wxapi.PushMessage) (send func()) {
	turn := s.platforms[componentAppID].line.join()
	return func() {
		started := s.background(func(ctx context.Context) { _ = s.deliverInTurn(ctx, turn, componentAppID, msg) })
		if !started {
			turn.pass() // closed: nothing is sent, but the pushes behind it still get their turn
		}
	}
}

// deliverInTurn waits for the pushes queued before this one, delivers it, and lets the next
// one go.
func (s *Sim) deliverInTurn(ctx context.Context, turn pushTurn, componentAppID string, msg wxapi.PushMessage) error {
	<-turn.prev
	defer close(turn.done)
	return s.deliver(ctx, componentAppID, msg)
}

// deliver encrypts and signs msg with the platform's Token and EncodingAESKey and POSTs it to
// the event URL with the query WeChat sends (signature, timestamp, nonce, encrypt_type,
// msg_signature). Anything but a 200 "success" within the push timeout is a failure, counted
// and logged.
func (s *Sim) deliver(ctx context.Context, componentAppID string, msg wxapi.PushMessage) error {
	s.mu.Lock()
	ps := s.platforms[componentAppID]
	eventURL, crypter := ps.platform.EventURL, ps.crypter
	timeout := s.settings.PushTimeout.D()
	if eventURL == "" {
		s.stats.pushesSkipped++
		s.mu.Unlock()
		s.log.Warn("push skipped: the platform has no event_url", "component_appid", componentAppID, "info_type", msg.InfoType)
		return fmt.Errorf("%s: %w", componentAppID, ErrNoEventURL)
	}
	s.mu.Unlock()

	// Recorded before the receiver can see it, so that a restart never goes behind it.
	if err := s.mark.advanceTo(time.Unix(msg.CreateTime, 0)); err != nil {
		s.log.Warn("could not record the virtual time in the clock file", "error", err)
	}
	err := s.post(ctx, eventURL, crypter, msg, timeout)
	rec := PushRecord{
		Time: time.Unix(msg.CreateTime, 0).UTC(), ComponentAppID: componentAppID,
		InfoType: msg.InfoType, AuthorizerAppID: msg.AuthorizerAppID, OK: err == nil,
	}
	if err != nil {
		rec.Error = err.Error()
	}
	s.mu.Lock()
	s.stats.recordPush(rec)
	s.mu.Unlock()
	attrs := []any{"component_appid", componentAppID, "info_type", msg.InfoType}
	if msg.AuthorizerAppID != "" {
		attrs = append(attrs, "authorizer_appid", msg.AuthorizerAppID)
	}
	if err != nil {
		s.log.Warn("push failed", append(attrs, "event_url", eventURL, "error", err)...)
		return fmt.Errorf("%w: %s push to %s: %w", ErrPushFailed, msg.InfoType, eventURL, err)
	}
	s.log.Info("push delivered", attrs...)
	return nil
}

// post sends one push and checks the answer; the error says what the receiver did wrong.
func (s *Sim) post(ctx context.Context, eventURL string, crypter *wxcrypt.Crypter, msg wxapi.PushMessage, timeout time.Duration) error {
	ts := strconv.FormatInt(msg.CreateTime, 10)
	// WeChat's random prefix is 16 lowercase hex characters, never raw bytes.
	prefix := strings.NewReader(s.gen.hex(16))
	push, err := crypter.SealPush(prefix, msg.XML(), ts, s.gen.nonce())
	if err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	sep := "?"
	if strings.Contains(eventURL, "?") {
		sep = "&"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, eventURL+sep+push.Query.Encode(), bytes.NewReader(push.Body))
	if err != nil {
		return err
	}
	// Real push headers are UNCONFIRMED; these are what WeChat's callbacks are commonly
	// logged with. Receivers must not depend on them.
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := s.httpClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %v", timeout)
		}
		// The *url.Error repeats the whole push URL; the event URL is reported on its own.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no complete answer within %v", timeout)
		}
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered HTTP %s instead of 200 \"success\"", resp.Status)
	}
	if string(body) != "success" {
		return fmt.Errorf("answered %q instead of \"success\"", clip(string(body), 60))
	}
	return nil
}

// Run is the push scheduler: every push_interval of virtual time it pushes each platform's
// ticket (the first push at once, and at once after a platform gets an event URL). Advance
// makes pushes that became due fire promptly. It returns nil when ctx is done, after the
// pushes in flight have finished.
func (s *Sim) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return ErrAlreadyRunning
	}
	s.running = true
	now := s.clock.Now()
	for _, ps := range s.platforms {
		ps.nextPush = now
	}
	s.mu.Unlock()

	var inflight sync.WaitGroup
	defer func() {
		inflight.Wait()
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	for {
		now, due, next := s.duePushes()
		for _, id := range due {
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				_ = s.pushTicket(ctx, id, false)
			}()
		}
		if !s.sleepUntil(ctx, now, next) {
			return nil
		}
	}
}

// duePushes lists the platforms whose ticket push is due now, schedules their next one, and
// says when the earliest next push is (zero when no platform has an event URL).
func (s *Sim) duePushes() (now time.Time, due []string, next time.Time) {
	interval := s.settings.PushInterval.D()
	s.mu.Lock()
	defer s.mu.Unlock()
	now = s.clock.Now()
	for _, id := range s.platformOrder {
		ps := s.platforms[id]
		if ps.platform.EventURL == "" {
			continue // pushed as soon as an event URL is set
		}
		if !now.Before(ps.nextPush) {
			due = append(due, id)
			ps.nextPush = now.Add(interval)
		}
		if next.IsZero() || ps.nextPush.Before(next) {
			next = ps.nextPush
		}
	}
	return now, due, next
}

// sleepUntil waits until the virtual time next (forever when it is zero), a wake-up from
// Advance or a new event URL, or the end of ctx; it reports false for the last.
func (s *Sim) sleepUntil(ctx context.Context, now, next time.Time) bool {
	var fire <-chan time.Time
	if !next.IsZero() {
		// A frozen base clock only moves through Advance, which wakes us; the floor keeps
		// a clock that never reaches `next` from spinning.
		wait := min(max(s.clock.realWait(next.Sub(now)), 20*time.Millisecond), time.Hour)
		timer := time.NewTimer(wait)
		defer timer.Stop()
		fire = timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-s.wake:
	case <-fire:
	}
	return true
}
