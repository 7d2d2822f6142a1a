package flow

import (
	"context"
	"errors"
	"fmt"

	"wxauth/storage"
)

// Database is an open store the engine runs on, and how to close it.
type Database interface {
	Store
	Path() string
	Close() error
}

// DefaultDatabasePath is $WXAUTH_DB, else wxauth.db under the user's data directory.
func DefaultDatabasePath() (string, error) { return storage.DefaultPath() }

// OpenDatabase opens (creating if needed) the database at path, or at the default path when
// path is empty. Its errors name the database, the cause and the fix.
func OpenDatabase(ctx context.Context, path string) (Database, error) {
	if path == "" {
		var err error
		if path, err = storage.DefaultPath(); err != nil {
			return nil, err
		}
	}
	db, err := storage.Open(ctx, path)
	if err != nil {
		var fe *storage.FileError
		if errors.As(err, &fe) {
			return nil, err // already names the database, the cause and the fix
		}
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return db, nil
}
