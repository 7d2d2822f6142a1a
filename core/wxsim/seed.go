package wxsim

import "fmt"

// Grant records that each account in appids authorized the platform, as the merchant's
// approval would (default permission sets, a new refresh token), without codes or pushes, and
// returns the refresh tokens by appid. It seeds a fleet of tens of thousands for a load
// program, where an authorization each (three HTTP round trips) would take longer than the
// pass being measured.
func (s *Sim) Grant(componentAppID string, appids []string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.platforms[s.defaultPlatform(componentAppID)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	component := ps.platform.ComponentAppID
	now := s.clock.Now()
	out := make(map[string]string, len(appids))
	for _, id := range appids {
		acc, ok := s.accounts[id]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
		}
		s.storeAuthorization(component, acc, s.grantedFuncIDs(acc, nil), now)
		out[id] = s.authorizations[authKey(component, id)].refreshToken
	}
	return out, nil
}
