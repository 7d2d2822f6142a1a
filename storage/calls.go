package storage

import (
	"context"
	"database/sql"
	"time"
)

// QuotaDay is the calendar day in China Standard Time, the day WeChat's daily quotas reset on.
func QuotaDay(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
}

// CountCall adds one call of api to today's counter.
func (db *DB) CountCall(ctx context.Context, componentAppID, api string, at time.Time) error {
	_, err := db.exec(ctx, `INSERT INTO api_calls (component_appid, day, api, calls) VALUES (?,?,?,1)`+
		db.d.upsert("api_calls", "component_appid, day, api", "calls=api_calls.calls+1"), componentAppID, QuotaDay(at), api)
	return err
}

// CountCalls adds n calls per API to the counters of at's quota day in one transaction (a
// refresher pass's, batched).
func (db *DB) CountCalls(ctx context.Context, componentAppID string, at time.Time, n map[string]int) error {
	if len(n) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		for api, calls := range n {
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_calls (component_appid, day, api, calls) VALUES (?,?,?,?)`+
				db.d.upsert("api_calls", "component_appid, day, api", "calls=api_calls.calls+excluded.calls"),
				componentAppID, QuotaDay(at), api, calls); err != nil {
				return err
			}
		}
		return nil
	})
}

// CallCounts returns the calls per API on the quota day containing at.
func (db *DB) CallCounts(ctx context.Context, componentAppID string, at time.Time) (map[string]int, error) {
	rows, err := db.query(ctx, `SELECT api, calls FROM api_calls WHERE component_appid=? AND day=?`,
		componentAppID, QuotaDay(at))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var api string
		var n int
		if err := rows.Scan(&api, &n); err != nil {
			return nil, err
		}
		out[api] = n
	}
	return out, rows.Err()
}
