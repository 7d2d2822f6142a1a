package wxsim

import (
	"sort"
	"time"
)

type preAuthRec struct {
	component string
	expires   time.Time
	used      bool
}

type authCodeRec struct {
	component  string
	authorizer string
	expires    time.Time
	used       bool
}

type grantRec struct {
	component   string
	preAuthCode string
	redirectURI string
	categoryIDs []int
	allowed     map[string]bool
	expires     time.Time
}

type authorization struct {
	component  string
	appid      string
	funcIDs    []int
	authTime   time.Time
	refresh    string
	oldRefresh string
	oldUntil   time.Time
	exchanged  bool // api_query_auth was called since the last (re)authorization
	tokCur     string
	tokPrev    string
	options    map[string]string
}

func authKey(component, authorizer string) string { return component + "/" + authorizer }

// sortedAuths lists a platform's authorizations by authorization time, then appid.
func (s *Sim) sortedAuths(component string) []*authorization {
	var out []*authorization
	for _, a := range s.auths {
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
	for k, v := range s.preAuth {
		if now.Sub(v.expires) > keep {
			delete(s.preAuth, k)
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
