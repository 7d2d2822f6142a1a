package flow

import (
	"context"
	"errors"
	"fmt"

	"wxauth/storage"
)

// Secrets at rest: the faces get the key from the operator (WXAUTH_KEY, --key-file) and hand
// it to OpenDatabase; the store seals every credential under it (storage/seal.go).

// Key is a sealing key; printing one prints its id only.
type Key = storage.Key

// SealStatus is what is sealed in a database, without any secret: `wxauth key status`.
type SealStatus = storage.SealStatus

// Environment variables that carry keys (a key never goes in argv).
const (
	KeyEnv    = "WXAUTH_KEY"     // the database's key
	NewKeyEnv = "WXAUTH_NEW_KEY" // the key `wxauth key rotate` moves to
)

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) { return storage.GenerateKey() }

// WriteKeyFile writes a key to a new owner-only file (never over an existing one).
func WriteKeyFile(path string, k Key) error { return storage.WriteKeyFile(path, k) }

// LoadKey finds the operator's key: the file named by file (--key-file), else the environment
// variable env. ok is false when neither is set.
func LoadKey(file, env string, getenv func(string) string) (k Key, ok bool, err error) {
	if file != "" {
		k, err = storage.ReadKeyFile(file)
		return k, err == nil, err
	}
	if v := getenv(env); v != "" {
		if k, err = storage.ParseKey(v); err != nil {
			return k, false, fmt.Errorf("$%s: %w", env, err)
		}
		return k, true, nil
	}
	return Key{}, false, nil
}

// OpenOption configures OpenDatabase.
type OpenOption = storage.Option

// WithKey opens the database with the operator's key: its secrets sealed under it.
func WithKey(k Key) OpenOption { return storage.WithKey(k) }

// InsecurePlaintext lets a shared store run without a key (--insecure-plaintext).
func InsecurePlaintext() OpenOption { return storage.WithInsecurePlaintext() }

// ForInspection opens a sealed database without its key, for KeyStatus only.
func ForInspection() OpenOption { return storage.ForInspection() }

// KeyProblem reports whether err says this process has no key, or not the database's key:
// the database was sealed or its key rotated while the process ran. Nothing it does with the
// database can work until it is restarted with the key, so the refresher stops on it.
func KeyProblem(err error) bool {
	return errors.Is(err, storage.ErrKeyRequired) || errors.Is(err, storage.ErrWrongKey)
}

// DatabaseUnusable reports whether err means the database cannot be used any more by this
// process: damaged (DatabaseDamaged), or sealed under a key it does not have (KeyProblem).
func DatabaseUnusable(err error) bool { return DatabaseDamaged(err) || KeyProblem(err) }

// keyed is a database whose secrets can be sealed.
type keyed interface {
	RotateKey(ctx context.Context, next Key) (int, error)
	Compact(ctx context.Context) error
	SealStatus(ctx context.Context) (storage.SealStatus, error)
}

// RotateKey re-seals every secret of db under next, in one transaction; it returns how many
// values were re-sealed. On failure the database stays under its key. compactErr says why the
// replaced values could not be wiped from the file afterwards (nil: they were).
func RotateKey(ctx context.Context, db Database, next Key) (n int, compactErr, err error) {
	k, ok := db.(keyed)
	if !ok {
		return 0, nil, fmt.Errorf("this store cannot seal its secrets")
	}
	if n, err = k.RotateKey(ctx, next); err != nil {
		return 0, nil, err
	}
	return n, k.Compact(ctx), nil
}

// KeyStatus says whether db is sealed, under which key id, and how many values are.
func KeyStatus(ctx context.Context, db Database) (SealStatus, error) {
	k, ok := db.(keyed)
	if !ok {
		return SealStatus{}, fmt.Errorf("this store cannot seal its secrets")
	}
	return k.SealStatus(ctx)
}
