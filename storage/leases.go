package storage

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// A lease is a named, time-limited lock shared by every process using the database: one holder
// of a job (the refresh of a platform) until it expires or is released.

// AcquireLease takes or renews the lease for holder until now+ttl; it reports false when another
// holder has an unexpired lease. On a server database shared by several hosts the database's
// clock decides instead of now (see mysqlAcquireLease).
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if db.d.mysql {
		return db.mysqlAcquireLease(ctx, name, holder, ttl)
	}
	var got bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?,?,?)
			ON CONFLICT (name) DO UPDATE SET holder=excluded.holder, expires_at=excluded.expires_at
			WHERE leases.holder=excluded.holder OR leases.expires_at<=?`,
			name, holder, unixMilli(now.Add(ttl)), unixMilli(now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		got = n > 0
		return nil
	})
	return got, err
}

// dbNowMilli is the MySQL server's clock in Unix milliseconds (sessions run in UTC, mysql.go).
const dbNowMilli = `CAST(UNIX_TIMESTAMP(NOW(3))*1000 AS SIGNED)`

// mysqlAcquireLease is AcquireLease by the database's clock: hosts whose clocks disagree still
// agree on when a lease expires, so skew cannot make two holders. MySQL has no conditional
// upsert, hence an insert of a missing lease, then a compare-and-set of an existing one.
func (db *DB) mysqlAcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var got bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT IGNORE INTO leases (name, holder, expires_at) VALUES (?,?,`+dbNowMilli+`+?)`,
			name, holder, ttl.Milliseconds())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			got = true
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE leases SET holder=?, expires_at=`+dbNowMilli+`+?
			WHERE name=? AND (holder=? OR expires_at<=`+dbNowMilli+`)`, holder, ttl.Milliseconds(), name, holder)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		got = n > 0
		return nil
	})
	return got, err
}

// ReleaseLease gives the lease up if holder has it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.exec(ctx, `DELETE FROM leases WHERE name=? AND holder=?`, name, holder)
	return err
}

// LeaseHolder returns who holds a lease and until when (empty when free).
func (db *DB) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var holder string
	var exp int64
	err := db.queryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name=?`, name).Scan(&holder, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return holder, fromUnixMilli(exp), err
}
