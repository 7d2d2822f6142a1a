package storage

import (
	"context"
	"time"
)

// CountFault adds one WeChat fault of kind (an errcode, "HTTP 502", "network"…) to its hour.
func (db *DB) CountFault(ctx context.Context, componentAppID, kind string, at time.Time) error {
	_, err := db.exec(ctx, `INSERT INTO faults (component_appid, hour, kind, n) VALUES (?,?,?,1)
		ON CONFLICT (component_appid, hour, kind) DO UPDATE SET n=n+1`, componentAppID, at.Unix()/3600, kind)
	return err
}

// FaultCounts sums the faults per kind in the hours from since's to at's (at least the last
// hour, at most two started hours). Older hours are dropped on the way.
func (db *DB) FaultCounts(ctx context.Context, componentAppID string, since time.Time) (map[string]int, error) {
	if _, err := db.exec(ctx, `DELETE FROM faults WHERE hour<?`, since.Unix()/3600-24); err != nil {
		return nil, err
	}
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
