package flow

// The token feed serves access tokens held in memory (held.go) while the store cannot take
// them: WeChat ends the previous token 5 minutes after it hands out a new one, so the stored
// one would soon fail with 40001.

// withHeld replaces, in what was read from the store, each token older than one held.
func (f *TokenFeed) withHeld(fresh []Credential) []Credential {
	held := f.e.held.tokens()
	if len(held) == 0 {
		return fresh
	}
	byKey := make(map[CredentialKey]int, len(fresh))
	for i, c := range fresh {
		byKey[c.Key()] = i
	}
	for _, h := range held {
		// A held grant of an account not stored yet waits for the store; a newer stored token wins.
		if i, ok := byKey[h.Key()]; ok && !fresh[i].ObtainedAt.After(h.ObtainedAt) {
			fresh[i] = h
		}
	}
	return fresh
}

// applyHeld publishes the held tokens newer than the feed's while the store cannot be read.
func (f *TokenFeed) applyHeld() {
	held := f.e.held.tokens()
	if len(held) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var changes []CredentialChange
	for _, h := range held {
		if old, ok := f.creds[h.Key()]; ok && !old.ObtainedAt.Before(h.ObtainedAt) {
			continue
		}
		f.creds[h.Key()] = h
		changes = append(changes, CredentialChange{Credential: h})
	}
	if len(changes) == 0 {
		return
	}
	for _, ch := range f.subs {
		select {
		case ch <- changes:
		default:
		}
	}
}
