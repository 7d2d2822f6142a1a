package storage

import (
	"errors"
	"fmt"
)

// Option configures Open.
type Option func(*options)

type options struct {
	key               Key
	insecurePlaintext bool
	inspect           bool
}

// WithKey seals the database's secrets under key: a plaintext database is sealed when opened
// with a key (every secret, in one transaction), and a sealed one opens only with its key.
func WithKey(key Key) Option { return func(o *options) { o.key = key } }

// WithInsecurePlaintext lets a shared (server) store run without a key, its secrets readable
// by anyone who can read the database (--insecure-plaintext).
func WithInsecurePlaintext() Option { return func(o *options) { o.insecurePlaintext = true } }

// ForInspection opens a sealed database without its key, to count what is sealed (`wxauth key
// status`): a sealed database is not migrated, and a sealed value read is an ErrKeyRequired.
func ForInspection() Option { return func(o *options) { o.inspect = true } }

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// ErrPlaintextShared: a store shared by several hosts was opened without a key.
var ErrPlaintextShared = errors.New("a shared database needs a key")

// requireKey refuses a shared store (a database server, read by more people than a 0600 file)
// without a key, unless the operator said --insecure-plaintext. Each store's Open calls it with
// whether it is shared: SQLite never is.
func (o options) requireKey(shared bool, store string) error {
	if !shared || !o.key.IsZero() || o.insecurePlaintext || o.inspect {
		return nil
	}
	return fmt.Errorf("%s: %w: its secrets (AppSecrets, tokens, refresh tokens) would be stored readable by anyone who can read the database"+
		"\n  what to do: give a key (wxauth key generate; then WXAUTH_KEY=<key> or --key-file PATH), or pass --insecure-plaintext to accept plaintext",
		store, ErrPlaintextShared)
}
