package wxsim

import (
	"sort"
	"time"
)

// preAuthRec is an issued pre_auth_code.
type preAuthRec struct {
	component string
	expires   time.Time
	used      bool
}

// authCodeRec is an issued authorization code, exchanged once by api_query_auth.
type authCodeRec struct {
	component  string
	authorizer string
	expires    time.Time
	used       bool
}

// grantRec is an authorization page that was shown: what the merchant's confirmation will
// approve, and which accounts it offered.
type grantRec struct {
	component   string
	preAuthCode string
	redirectURI string
	categoryIDs []int
	allowed     map[string]bool
	expires     time.Time
}

// authorization is an account's standing authorization of a platform, from the merchant's
// approval until Unauthorize.
type authorization struct {
	component string
	appid     string // the authorizer
	funcIDs   []int  // permission sets granted, sorted
	authTime  time.Time
	// refreshToken is the current authorizer_refresh_token; after a re-authorization the
	// previous one keeps working until oldRefreshUntil.
	refreshToken    string
	oldRefreshToken string
	oldRefreshUntil time.Time
	exchanged       bool // api_query_auth was called since the last (re)authorization
	// currentToken and previousToken are the authorizer access tokens still valid (the
	// previous one for the overlap only).
	currentToken  string
	previousToken string
	options       map[string]string
}

// authKey is the key of Sim.authorizations.
func authKey(component, authorizer string) string { return component + "/" + authorizer }

// sortedAuthorizations lists a platform's authorizations by authorization time, then appid.
func (s *Sim) sortedAuthorizations(component string) []*authorization {
	var out []*authorization
	for _, a := range s.authorizations {
		if a.component == component {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].authTime.Equal(out[j].authTime) {
			return out[i].authTime.Before(out[j].authTime)
		}
		return out[i].appid < out[j].appid
	})
	return out
}

// sweep forgets what can no longer matter, at most once a virtual minute: codes and grants
// long expired, tokens past their lifetime by a day, rids older than 7 days.
func (s *Sim) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	const keep = 7 * 24 * time.Hour
	for k, v := range s.preAuthCodes {
		if now.Sub(v.expires) > keep {
			delete(s.preAuthCodes, k)
		}
	}
	for k, v := range s.authCodes {
		if now.Sub(v.expires) > keep {
			delete(s.authCodes, k)
		}
	}
	for k, v := range s.grants {
		if now.After(v.expires) {
			delete(s.grants, k)
		}
	}
	for k, v := range s.tokens {
		if now.Sub(v.expires) > keep {
			delete(s.tokens, k)
		}
	}
	for _, ps := range s.platforms {
		for t, issued := range ps.tickets {
			if t != ps.ticket && now.Sub(issued) > s.settings.TicketTTL.D()+keep {
				delete(ps.tickets, t)
			}
		}
	}
	s.pruneRids(now)
}
