package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenClient is a program allowed to read tokens over the token API. KeyHash is the hex
// SHA-256 of its key; the key itself is never stored.
type TokenClient struct {
	Name           string
	ComponentAppID string
	AppIDs         []string // empty: every authorizer of the platform
	Component      bool
	KeyHash        string
	CreatedAt      time.Time
	RotatedAt      time.Time
	LastUsedAt     time.Time
	ReadsDay       string
	Reads          int64
}

// ClientUse is a batch of a client's reads, flushed by the serving process.
type ClientUse struct {
	Name   string
	LastAt time.Time
	Day    string // the day the reads belong to
	Reads  int64
}

const clientCols = `name, component_appid, appids, component, key_hash, created_at, rotated_at, last_used_at, reads_day, read_count`

func scanClient(r interface{ Scan(...any) error }) (TokenClient, error) {
	var c TokenClient
	var appids string
	var created, rotated, used int64
	err := r.Scan(&c.Name, &c.ComponentAppID, &appids, &c.Component, &c.KeyHash, &created, &rotated, &used, &c.ReadsDay, &c.Reads)
	c.AppIDs = strings.Fields(appids)
	c.CreatedAt, c.RotatedAt, c.LastUsedAt = fromUnixMilli(created), fromUnixMilli(rotated), fromUnixMilli(used)
	return c, err
}

// AddClient inserts a client; ErrExists if the name is taken.
func (db *DB) AddClient(ctx context.Context, c TokenClient) error {
	_, err := db.exec(ctx, `INSERT INTO token_clients (`+clientCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		c.Name, c.ComponentAppID, strings.Join(c.AppIDs, " "), c.Component, c.KeyHash,
		unixMilli(c.CreatedAt), unixMilli(c.RotatedAt), unixMilli(c.LastUsedAt), c.ReadsDay, c.Reads)
	if err != nil && (strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "Duplicate")) {
		return fmt.Errorf("client %s: %w", c.Name, ErrExists)
	}
	return err
}

// Clients lists every client by name.
func (db *DB) Clients(ctx context.Context) ([]TokenClient, error) {
	rs, err := db.query(ctx, `SELECT `+clientCols+` FROM token_clients ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []TokenClient
	for rs.Next() {
		c, err := scanClient(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// Client returns one client; ErrNotFound if there is none of that name.
func (db *DB) Client(ctx context.Context, name string) (TokenClient, error) {
	c, err := scanClient(db.queryRow(ctx, `SELECT `+clientCols+` FROM token_clients WHERE name=?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("client %s: %w", name, ErrNotFound)
	}
	return c, err
}

// RotateClientKey replaces a client's key hash; ErrNotFound if there is no such client.
func (db *DB) RotateClientKey(ctx context.Context, name, keyHash string, at time.Time) error {
	res, err := db.exec(ctx, `UPDATE token_clients SET key_hash=?, rotated_at=? WHERE name=?`, keyHash, unixMilli(at), name)
	if err != nil {
		return err
	}
	return oneRow(res, "client "+name)
}

// RemoveClient deletes a client; ErrNotFound if there is no such client.
func (db *DB) RemoveClient(ctx context.Context, name string) error {
	res, err := db.exec(ctx, `DELETE FROM token_clients WHERE name=?`, name)
	if err != nil {
		return err
	}
	return oneRow(res, "client "+name)
}

// RecordClientUse adds batches of reads in one transaction: a day's count restarts when the
// batch belongs to a later day than the stored one. Clients removed meanwhile are skipped.
func (db *DB) RecordClientUse(ctx context.Context, uses []ClientUse) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, u := range uses {
			if _, err := tx.ExecContext(ctx, `UPDATE token_clients SET
				read_count = CASE WHEN reads_day=? THEN read_count+? ELSE ? END,
				reads_day = ?,
				last_used_at = CASE WHEN last_used_at>? THEN last_used_at ELSE ? END
				WHERE name=? AND reads_day<=?`,
				u.Day, u.Reads, u.Reads, u.Day, unixMilli(u.LastAt), unixMilli(u.LastAt), u.Name, u.Day); err != nil {
				return err
			}
		}
		return nil
	})
}
