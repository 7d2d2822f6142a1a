package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sink is one Redis target the publishers write tokens into. URL carries the password: it is a
// secret, kept in this one column.
type Sink struct {
	ID             int64
	URL            string
	Format         string
	Prefix         string
	ComponentAppID string   // "" = every platform
	AppIDs         []string // empty = every authorizer
	Component      bool
	Authorizers    bool
	CreatedAt      time.Time
	Health         SinkHealth
}

// SinkHealth is what the publishing process last reported about a sink.
type SinkHealth struct {
	At          time.Time // when it was reported
	Writer      string    // the process (lease holder) that reported it
	LastWriteAt time.Time
	LagMillis   int64
	Pending     int
	Keys        int
	LastError   string
	LastErrorAt time.Time
	ForeignKey  string
	ForeignAt   time.Time
}

const sinkCols = `id, url, format, prefix, component_appid, appids, component, authorizers, created_at,
	health_at, writer, last_write_at, lag_ms, pending, keys_written, last_error, last_error_at, foreign_key, foreign_at`

func scanSink(sl *sealer, row interface{ Scan(...any) error }) (Sink, error) {
	var s Sink
	var appids string
	var created, healthAt, lastWrite, errAt, foreignAt int64
	err := row.Scan(&s.ID, &s.URL, &s.Format, &s.Prefix, &s.ComponentAppID, &appids, &s.Component, &s.Authorizers, &created,
		&healthAt, &s.Health.Writer, &lastWrite, &s.Health.LagMillis, &s.Health.Pending, &s.Health.Keys,
		&s.Health.LastError, &errAt, &s.Health.ForeignKey, &foreignAt)
	if err != nil {
		return s, err
	}
	if s.URL, err = sl.open("sinks", "url", s.URL); err != nil {
		return s, err
	}
	if appids != "" {
		s.AppIDs = strings.Split(appids, ",")
	}
	s.CreatedAt = fromUnixMilli(created)
	s.Health.At, s.Health.LastWriteAt = fromUnixMilli(healthAt), fromUnixMilli(lastWrite)
	s.Health.LastErrorAt, s.Health.ForeignAt = fromUnixMilli(errAt), fromUnixMilli(foreignAt)
	return s, err
}

// AddSink stores a sink and returns its id.
func (db *DB) AddSink(ctx context.Context, s Sink) (int64, error) {
	res, err := db.exec(ctx, `INSERT INTO sinks (url, format, prefix, component_appid, appids, component, authorizers, created_at)
		VALUES (?,?,?,?,?,?,?,?)`, db.sealer().seal("sinks", "url", s.URL), s.Format, s.Prefix, s.ComponentAppID, strings.Join(s.AppIDs, ","),
		s.Component, s.Authorizers, unixMilli(s.CreatedAt))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Sinks returns every sink, oldest first.
func (db *DB) Sinks(ctx context.Context) ([]Sink, error) {
	rows, err := db.query(ctx, `SELECT `+sinkCols+` FROM sinks ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Sink
	for rows.Next() {
		s, err := scanSink(db.sealer(), rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Sink returns one sink; ErrNotFound if there is none with that id.
func (db *DB) Sink(ctx context.Context, id int64) (Sink, error) {
	s, err := scanSink(db.sealer(), db.queryRow(ctx, `SELECT `+sinkCols+` FROM sinks WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Sink{}, fmt.Errorf("sink %d: %w", id, ErrNotFound)
	}
	return s, err
}

// RemoveSink deletes a sink; ErrNotFound if there is none with that id.
func (db *DB) RemoveSink(ctx context.Context, id int64) error {
	res, err := db.exec(ctx, `DELETE FROM sinks WHERE id=?`, id)
	if err != nil {
		return err
	}
	return oneRow(res, fmt.Sprintf("sink %d", id))
}

// SaveSinkHealth records what the publishing process knows about a sink. A sink removed
// meanwhile is not an error: its publisher stops at its next reload.
func (db *DB) SaveSinkHealth(ctx context.Context, id int64, h SinkHealth) error {
	_, err := db.exec(ctx, `UPDATE sinks SET health_at=?, writer=?, last_write_at=?, lag_ms=?, pending=?, keys_written=?,
		last_error=?, last_error_at=?, foreign_key=?, foreign_at=? WHERE id=?`,
		unixMilli(h.At), h.Writer, unixMilli(h.LastWriteAt), h.LagMillis, h.Pending, h.Keys,
		h.LastError, unixMilli(h.LastErrorAt), h.ForeignKey, unixMilli(h.ForeignAt), id)
	return err
}
