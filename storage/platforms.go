package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Platform is one third-party platform (component) and where its pieces live.
type Platform struct {
	ComponentAppID string
	AppSecret      string
	Token          string // the message-verification Token
	EncodingAESKey string
	AuthDomain     string // 授权发起页域名, host[:port]
	PublicURL      string // base URL through which WeChat and browsers reach our listener
	ListenAddr     string // where our listener binds
	APIBase        string // "" = https://api.weixin.qq.com
	LoginBase      string // "" = https://mp.weixin.qq.com
	MobileBase     string // "" = https://open.weixin.qq.com
	CreatedAt      time.Time
}

const platformCols = `component_appid, appsecret, token, encoding_aes_key, auth_domain, public_url,
	listen_addr, api_base, login_base, mobile_base, created_at`

func scanPlatform(s *sealer, row interface{ Scan(...any) error }) (Platform, error) {
	var p Platform
	var created int64
	err := row.Scan(&p.ComponentAppID, &p.AppSecret, &p.Token, &p.EncodingAESKey, &p.AuthDomain,
		&p.PublicURL, &p.ListenAddr, &p.APIBase, &p.LoginBase, &p.MobileBase, &created)
	p.CreatedAt = fromUnixMilli(created)
	if err != nil {
		return p, err
	}
	return p, s.openAll("platforms", map[string]*string{"appsecret": &p.AppSecret, "token": &p.Token, "encoding_aes_key": &p.EncodingAESKey})
}

// sealPlatform seals p's secrets for writing.
func (s *sealer) sealPlatform(p Platform) Platform {
	p.AppSecret = s.seal("platforms", "appsecret", p.AppSecret)
	p.Token = s.seal("platforms", "token", p.Token)
	p.EncodingAESKey = s.seal("platforms", "encoding_aes_key", p.EncodingAESKey)
	return p
}

// AddPlatform inserts a platform; ErrExists if its appid is taken.
func (db *DB) AddPlatform(ctx context.Context, p Platform) error {
	p = db.sealer().sealPlatform(p)
	_, err := db.exec(ctx, `INSERT INTO platforms (`+platformCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		p.ComponentAppID, p.AppSecret, p.Token, p.EncodingAESKey, p.AuthDomain, p.PublicURL,
		p.ListenAddr, p.APIBase, p.LoginBase, p.MobileBase, unixMilli(p.CreatedAt))
	if db.d.isDuplicate(err) {
		return fmt.Errorf("platform %s: %w", p.ComponentAppID, ErrExists)
	}
	return err
}

// UpdatePlatform replaces a platform's settings.
func (db *DB) UpdatePlatform(ctx context.Context, p Platform) error {
	p = db.sealer().sealPlatform(p)
	res, err := db.exec(ctx, `UPDATE platforms SET appsecret=?, token=?, encoding_aes_key=?,
		auth_domain=?, public_url=?, listen_addr=?, api_base=?, login_base=?, mobile_base=? WHERE component_appid=?`,
		p.AppSecret, p.Token, p.EncodingAESKey, p.AuthDomain, p.PublicURL, p.ListenAddr, p.APIBase,
		p.LoginBase, p.MobileBase, p.ComponentAppID)
	if err != nil {
		return err
	}
	return oneRow(res, "platform "+p.ComponentAppID)
}

// Platform returns one platform.
func (db *DB) Platform(ctx context.Context, componentAppID string) (Platform, error) {
	p, err := scanPlatform(db.sealer(), db.queryRow(ctx, `SELECT `+platformCols+` FROM platforms WHERE component_appid=?`, componentAppID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("platform %s: %w", componentAppID, ErrNotFound)
	}
	return p, err
}

// Platforms lists every platform, oldest first.
func (db *DB) Platforms(ctx context.Context) ([]Platform, error) {
	rows, err := db.query(ctx, `SELECT `+platformCols+` FROM platforms ORDER BY created_at, component_appid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Platform
	for rows.Next() {
		p, err := scanPlatform(db.sealer(), rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RemovePlatform deletes a platform and its current credentials. The event log and the
// refresh-token history are kept: they are the audit trail.
func (db *DB) RemovePlatform(ctx context.Context, componentAppID string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM platforms WHERE component_appid=?`, componentAppID)
		if err != nil {
			return err
		}
		if err := oneRow(res, "platform "+componentAppID); err != nil {
			return err
		}
		for _, table := range []string{"tickets", "component_tokens", "authorizers", "auth_sessions"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE component_appid=?`, componentAppID); err != nil {
				return err
			}
		}
		return nil
	})
}

func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}
