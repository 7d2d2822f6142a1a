package wxsim

import (
	"fmt"
	"net/netip"
	"time"

	"wxauth/core/wxcrypt"
)

// platformState is a platform as it is being served: its configuration (changed by
// SetPlatformURLs and SetIPWhitelist), tickets, push schedule and component tokens.
type platformState struct {
	platform  Platform
	whitelist []netip.Prefix
	crypter   *wxcrypt.Crypter

	ticket       string
	ticketIssued time.Time
	ticketPushes int                  // pushes of the current ticket so far
	tickets      map[string]time.Time // every ticket issued → when
	pushNormal   bool                 // the last ticket push was answered "success"
	nextPush     time.Time
	line         pushLine // delivers the platform's pushes one at a time, in order

	// currentToken and previousToken are the component access tokens still valid (the
	// previous one for the overlap only).
	currentToken, previousToken string
}

// newPlatformState prepares a platform of a validated world for serving: its push crypter
// and parsed whitelist. The caller issues the first ticket.
func newPlatformState(p Platform) (*platformState, error) {
	c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
	if err != nil {
		return nil, fmt.Errorf("platform %s: %w", p.ComponentAppID, err)
	}
	ps := &platformState{platform: p, crypter: c, tickets: map[string]time.Time{}}
	ps.platform.IPWhitelist = append([]string(nil), p.IPWhitelist...)
	for _, e := range p.IPWhitelist {
		pr, _ := parseIPEntry(e) // validated by World.Validate
		ps.whitelist = append(ps.whitelist, pr)
	}
	return ps, nil
}

// SetPlatformURLs sets where a platform's pushes go and its registered authorization domain
// (the demo learns its listener port at run time). A new event URL gets a ticket push
// promptly when Run is running.
func (s *Sim) SetPlatformURLs(componentAppID, eventURL, authDomain string) error {
	return s.updatePlatform(componentAppID, &eventURL, &authDomain, nil)
}

// SetIPWhitelist replaces a platform's IP whitelist (IPs or CIDR prefixes; empty allows all).
func (s *Sim) SetIPWhitelist(componentAppID string, list []string) error {
	if list == nil {
		list = []string{}
	}
	return s.updatePlatform(componentAppID, nil, nil, list)
}

// updatePlatform changes what is not nil: it validates everything before it changes anything.
func (s *Sim) updatePlatform(componentAppID string, eventURL, authDomain *string, whitelist []string) error {
	if eventURL != nil {
		if err := validateEventURL(*eventURL); err != nil {
			return fmt.Errorf("%w: event_url: %w", ErrBadRequest, err)
		}
	}
	if authDomain != nil {
		if err := validateAuthDomain(*authDomain); err != nil {
			return fmt.Errorf("%w: auth_domain: %w", ErrBadRequest, err)
		}
	}
	var prefixes []netip.Prefix
	for i, e := range whitelist {
		p, err := parseIPEntry(e)
		if err != nil {
			return fmt.Errorf("%w: ip_whitelist[%d]: %w", ErrBadRequest, i, err)
		}
		prefixes = append(prefixes, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.platforms[componentAppID]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	if eventURL != nil {
		if *eventURL != ps.platform.EventURL && *eventURL != "" {
			ps.nextPush = s.clock.Now() // WeChat starts pushing once the URL is set
			defer s.poke()
		}
		ps.platform.EventURL = *eventURL
	}
	if authDomain != nil {
		ps.platform.AuthDomain = *authDomain
	}
	if whitelist != nil {
		ps.platform.IPWhitelist = append([]string{}, whitelist...)
		ps.whitelist = prefixes
	}
	return nil
}

// CurrentTicket is the platform's current component_verify_ticket ("" for an unknown
// platform).
func (s *Sim) CurrentTicket(componentAppID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ps, ok := s.platforms[componentAppID]; ok {
		return ps.ticket
	}
	return ""
}

// newTicket rotates the platform's ticket. Older tickets stay valid until their own TTL ends.
func (s *Sim) newTicket(ps *platformState, now time.Time) {
	ps.ticket = s.gen.ticket()
	ps.ticketIssued = now
	ps.ticketPushes = 0
	ps.tickets[ps.ticket] = now
}

// defaultPlatform resolves an empty component appid when the world has a single platform.
func (s *Sim) defaultPlatform(componentAppID string) string {
	if componentAppID == "" && len(s.platformOrder) == 1 {
		return s.platformOrder[0]
	}
	return componentAppID
}
