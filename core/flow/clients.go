package flow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"wxauth/storage"
)

// The token service's clients: programs that read tokens over the token API (core/tokenapi),
// each with a key and a scope. Only the SHA-256 of a key is stored; the key is shown once, when
// it is made.

// ClientKeyPrefix starts every client key, so a leaked key is recognisable (secret scanners,
// logs) as a wxauth token-service key.
const ClientKeyPrefix = "wxa_"

// clientKeyBytes is the key's randomness: 256 bits.
const clientKeyBytes = 32

// Client is a program allowed to read tokens, with its scope.
type Client struct {
	Name           string
	ComponentAppID string   // the platform whose tokens it reads
	AppIDs         []string // the authorizers it may read; empty: all of the platform's
	Component      bool     // may also read the component token
	CreatedAt      time.Time
	RotatedAt      time.Time // zero until the key is first rotated
	LastUsedAt     time.Time // as last flushed by a serving process
	ReadsToday     int64     // reads in today's China-time day, as last flushed
	keyHash        [sha256.Size]byte
}

// MayRead reports whether the client's scope covers a credential ("" = the component token).
func (c Client) MayRead(componentAppID, authorizerAppID string) bool {
	if componentAppID != c.ComponentAppID {
		return false
	}
	if authorizerAppID == "" {
		return c.Component
	}
	return len(c.AppIDs) == 0 || slices.Contains(c.AppIDs, authorizerAppID)
}

// ScopeText is the scope in a few words, for lists.
func (c Client) ScopeText() string {
	s := "all authorizers"
	if len(c.AppIDs) > 0 {
		s = strings.Join(c.AppIDs, ",")
	}
	if c.Component {
		s += " + component"
	}
	return c.ComponentAppID + ": " + s
}

// validClientName: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.
// A loop, not a package-level regexp: compiling {0,63} at init cost every command ~1 ms.
func validClientName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// ClientSpec is what AddClient needs.
type ClientSpec struct {
	Name           string
	ComponentAppID string // "" when only one platform is configured
	AppIDs         []string
	Component      bool
}

// AddClient creates a client and returns it with its key, which is not kept: show it once.
func (e *Engine) AddClient(ctx context.Context, spec ClientSpec) (Client, string, error) {
	if !validClientName(spec.Name) {
		return Client{}, "", &UserError{Msg: fmt.Sprintf("%q is not a usable client name", Printable(spec.Name)),
			Remedy: "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. order-service)"}
	}
	p, err := e.Platform(ctx, spec.ComponentAppID)
	if err != nil {
		return Client{}, "", err
	}
	for _, id := range spec.AppIDs {
		if _, err := e.authorizer(ctx, p.ComponentAppID, id); err != nil {
			return Client{}, "", err
		}
	}
	key, hash := e.newClientKey()
	row := storage.TokenClient{Name: spec.Name, ComponentAppID: p.ComponentAppID, AppIDs: dedupe(spec.AppIDs),
		Component: spec.Component, KeyHash: hex.EncodeToString(hash[:]), CreatedAt: e.clock.Now()}
	if err := e.db.AddClient(ctx, row); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return Client{}, "", &UserError{Msg: "a client named " + spec.Name + " exists already",
				Remedy: "pick another name, or give it a new key with `wxauth client rotate " + spec.Name + "`", Err: err}
		}
		return Client{}, "", err
	}
	e.emit(ctx, Event{Kind: EventClientChanged, ComponentAppID: row.ComponentAppID,
		Message: "token-service client " + row.Name + " added (" + clientOf(row).ScopeText() + ")"})
	return clientOf(row), key, nil
}

// Clients lists every client by name.
func (e *Engine) Clients(ctx context.Context) ([]Client, error) {
	rows, err := e.db.Clients(ctx)
	if err != nil {
		return nil, err
	}
	out := each(rows, clientOf)
	today := QuotaDay(e.clock.Now())
	for i, r := range rows {
		if r.ReadsDay != today {
			out[i].ReadsToday = 0
		}
	}
	return out, nil
}

// RotateClient gives a client a new key and returns it; the old key stops working at once in
// this process and within ClientPoll in every serving process.
func (e *Engine) RotateClient(ctx context.Context, name string) (Client, string, error) {
	key, hash := e.newClientKey()
	if err := e.db.RotateClientKey(ctx, name, hex.EncodeToString(hash[:]), e.clock.Now()); err != nil {
		return Client{}, "", clientErr(name, err)
	}
	row, err := e.db.Client(ctx, name)
	if err != nil {
		return Client{}, "", clientErr(name, err)
	}
	e.emit(ctx, Event{Kind: EventClientChanged, ComponentAppID: row.ComponentAppID,
		Message: "token-service client " + row.Name + ": key rotated, the old key no longer works"})
	return clientOf(row), key, nil
}

// RemoveClient deletes a client; its key stops working like a rotated one.
func (e *Engine) RemoveClient(ctx context.Context, name string) error {
	row, err := e.db.Client(ctx, name)
	if err == nil {
		err = e.db.RemoveClient(ctx, name)
	}
	if err != nil {
		return clientErr(name, err)
	}
	e.emit(ctx, Event{Kind: EventClientChanged, ComponentAppID: row.ComponentAppID,
		Message: "token-service client " + name + " removed, its key no longer works"})
	return nil
}

func clientErr(name string, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return &UserError{Msg: "there is no client named " + Printable(name), Remedy: "`wxauth client list` shows the clients", Err: err}
	}
	return err
}

// newClientKey makes a key (prefix + 32 random bytes, base64url) and its hash.
func (e *Engine) newClientKey() (string, [sha256.Size]byte) {
	// crypto/rand, never the engine's injectable Random: a key must be unpredictable in tests too.
	b := make([]byte, clientKeyBytes)
	_, _ = rand.Read(b) // never fails: the Go runtime aborts instead
	key := ClientKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, sha256.Sum256([]byte(key))
}

func clientOf(r storage.TokenClient) Client {
	c := Client{Name: r.Name, ComponentAppID: r.ComponentAppID, AppIDs: r.AppIDs, Component: r.Component,
		CreatedAt: r.CreatedAt, RotatedAt: r.RotatedAt, LastUsedAt: r.LastUsedAt, ReadsToday: r.Reads}
	if h, err := hex.DecodeString(r.KeyHash); err == nil && len(h) == sha256.Size {
		copy(c.keyHash[:], h)
	}
	return c
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
