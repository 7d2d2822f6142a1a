package storage

import (
	"context"
	"database/sql"
	"time"
)

// CountFault adds one WeChat fault of kind (an errcode, "HTTP 502", "network"…) to its hour.
// Hours older than a day are dropped on the way: only the last hour is ever read.
func (db *DB) CountFault(ctx context.Context, componentAppID, kind string, at time.Time) error {
	hour := at.Unix() / 3600
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO faults (component_appid, hour, kind, n) VALUES (?,?,?,1)`+
			db.d.upsert("faults", "component_appid, hour, kind", "n=faults.n+1"), componentAppID, hour, kind); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM faults WHERE hour<?`, hour-24)
		return err
	})
}

// FaultCounts sums the faults per kind in the hours from since's on (at least the last hour,
// at most two started hours). It only reads: Snapshot calls it on every redraw.
func (db *DB) FaultCounts(ctx context.Context, componentAppID string, since time.Time) (map[string]int, error) {
	rows, err := db.query(ctx, `SELECT kind, SUM(n) FROM faults WHERE component_appid=? AND hour>=? GROUP BY kind`,
		componentAppID, since.Unix()/3600)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, err
		}
		out[kind] = n
	}
	return out, rows.Err()
}
