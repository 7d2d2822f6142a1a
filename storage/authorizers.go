package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Authorizer statuses.
const (
	StatusHealthy     = "healthy"
	StatusSuperseded  = "superseded"   // its token was invalidated by another party; re-minted
	StatusNeedsReauth = "needs_reauth" // refresh token lost or invalid: the merchant must authorize again
	StatusRevoked     = "revoked"      // the merchant cancelled the authorization
	StatusNoToken     = "no_token"     // authorized without API permission: WeChat gave no tokens
	StatusError       = "error"        // the last refresh failed; see LastError
)

// Authorizer is an account (mini program or official account) authorized to a platform.
type Authorizer struct {
	ComponentAppID   string
	AppID            string
	NickName         string
	UserName         string // gh_ original id
	PrincipalName    string
	Kind             string // "miniprogram" or "officialaccount"
	InfoJSON         string // the last api_get_authorizer_info authorizer_info, verbatim
	FuncInfo         []int  // granted permission-set ids
	Status           string
	AccessToken      string
	AccessObtainedAt time.Time
	AccessExpiresAt  time.Time
	AccessVersion    int64
	RefreshToken     string
	LastError        string
	LastErrorAt      time.Time
	AuthorizedAt     time.Time
	UpdatedAt        time.Time
}

const authorizerCols = `component_appid, authorizer_appid, nick_name, user_name, principal_name, kind, info_json,
	func_info, status, access_token, access_obtained_at, access_expires_at, access_version, refresh_token,
	last_error, last_error_at, authorized_at, updated_at`

func scanAuthorizer(s *sealer, row interface{ Scan(...any) error }) (Authorizer, error) {
	var a Authorizer
	var funcInfo string
	var obtained, expires, errAt, authAt, updAt int64
	err := row.Scan(&a.ComponentAppID, &a.AppID, &a.NickName, &a.UserName, &a.PrincipalName, &a.Kind, &a.InfoJSON,
		&funcInfo, &a.Status, &a.AccessToken, &obtained, &expires, &a.AccessVersion, &a.RefreshToken,
		&a.LastError, &errAt, &authAt, &updAt)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(funcInfo), &a.FuncInfo); err != nil {
		return a, fmt.Errorf("authorizer %s func_info: %w", a.AppID, err)
	}
	a.AccessObtainedAt, a.AccessExpiresAt, a.LastErrorAt = fromUnixMilli(obtained), fromUnixMilli(expires), fromUnixMilli(errAt)
	a.AuthorizedAt, a.UpdatedAt = fromUnixMilli(authAt), fromUnixMilli(updAt)
	return a, s.openAll("authorizers", map[string]*string{"access_token": &a.AccessToken, "refresh_token": &a.RefreshToken})
}

// Authorizer returns one authorizer.
func (db *DB) Authorizer(ctx context.Context, componentAppID, appid string) (Authorizer, error) {
	a, err := scanAuthorizer(db.sealer(), db.queryRow(ctx, `SELECT `+authorizerCols+` FROM authorizers
		WHERE component_appid=? AND authorizer_appid=?`, componentAppID, appid))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("authorizer %s: %w", appid, ErrNotFound)
	}
	return a, err
}

// Authorizers lists a platform's authorizers by appid.
func (db *DB) Authorizers(ctx context.Context, componentAppID string) ([]Authorizer, error) {
	rows, err := db.query(ctx, `SELECT `+authorizerCols+` FROM authorizers
		WHERE component_appid=? ORDER BY authorizer_appid`, componentAppID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Authorizer
	for rows.Next() {
		a, err := scanAuthorizer(db.sealer(), rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Grant is what api_query_auth returned for an authorization.
type Grant struct {
	ComponentAppID string
	AppID          string
	AccessToken    string // may be empty when the account gave no API permission
	ExpiresAt      time.Time
	RefreshToken   string
	FuncInfo       []int
	At             time.Time
	Source         string // where the code came from: redirect, push, paste
}

// SaveGrant records an authorization (new, re-authorized or updated): tokens replaced, status
// healthy, the refresh token added to the history. An empty refresh token never replaces a
// stored one. It returns the previous record (zero if new) for diffing permission sets.
// The commit is fsynced: the code it came from works once.
func (db *DB) SaveGrant(ctx context.Context, g Grant) (prev Authorizer, err error) {
	funcInfo, _ := json.Marshal(nonNil(g.FuncInfo))
	err = db.durableTx(ctx, func(tx *sql.Tx) error {
		prev, err = scanAuthorizer(db.sealer(), db.txQueryRow(ctx, tx, `SELECT `+authorizerCols+` FROM authorizers
			WHERE component_appid=? AND authorizer_appid=?`, g.ComponentAppID, g.AppID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		status := StatusHealthy
		if g.AccessToken == "" && g.RefreshToken == "" && prev.RefreshToken == "" {
			status = StatusNoToken
		}
		_, err = db.txExec(ctx, tx, `INSERT INTO authorizers (component_appid, authorizer_appid, func_info, status,
				access_token, access_obtained_at, access_expires_at, access_version, refresh_token, authorized_at, updated_at)
			VALUES (?,?,?,?,?,?,?,1,?,?,?)`+db.d.upsert("authorizers", "component_appid, authorizer_appid", `
				func_info=excluded.func_info, status=excluded.status,
				access_token=CASE WHEN excluded.access_token='' THEN authorizers.access_token ELSE excluded.access_token END,
				access_obtained_at=CASE WHEN excluded.access_token='' THEN authorizers.access_obtained_at ELSE excluded.access_obtained_at END,
				access_expires_at=CASE WHEN excluded.access_token='' THEN authorizers.access_expires_at ELSE excluded.access_expires_at END,
				access_version=authorizers.access_version+1,
				refresh_token=CASE WHEN excluded.refresh_token='' THEN authorizers.refresh_token ELSE excluded.refresh_token END,
				last_error='', last_error_at=0,
				authorized_at=excluded.authorized_at, updated_at=excluded.updated_at`),
			g.ComponentAppID, g.AppID, string(funcInfo), status, db.sealer().seal("authorizers", "access_token", g.AccessToken),
			unixMilli(g.At), unixMilli(g.ExpiresAt), db.sealer().seal("authorizers", "refresh_token", g.RefreshToken), unixMilli(g.At), unixMilli(g.At))
		if err != nil {
			return err
		}
		return db.recordRefreshToken(ctx, tx, g.ComponentAppID, g.AppID, g.RefreshToken, g.Source, g.At)
	})
	return prev, err
}

func nonNil(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

// recordRefreshToken adds token to the history unless it is there already. Sealed values differ
// on every write (random nonces), so the primary key cannot tell a token seen before: the
// account's history (a few tokens) is compared opened.
func (db *DB) recordRefreshToken(ctx context.Context, tx *sql.Tx, componentAppID, appid, token, source string, at time.Time) error {
	if token == "" {
		return nil
	}
	// Plaintext tokens are deduplicated by the key (insert-or-ignore); sealed ones never
	// collide (random nonces), so they are compared opened.
	s := db.sealer()
	if s != nil {
		seen, err := refreshTokenSeen(ctx, tx, s, componentAppID, appid, token)
		if err != nil || seen {
			return err
		}
	}
	_, err := db.txExec(ctx, tx, db.d.insertIgnore("refresh_tokens", "component_appid, authorizer_appid, refresh_token, source, first_seen_at",
		"?,?,?,?,?"), componentAppID, appid, s.seal("refresh_tokens", "refresh_token", token), source, unixMilli(at))
	return err
}

func refreshTokenSeen(ctx context.Context, tx *sql.Tx, s *sealer, componentAppID, appid, token string) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT refresh_token FROM refresh_tokens WHERE component_appid=? AND authorizer_appid=?`,
		componentAppID, appid)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return false, err
		}
		if plain, err := s.open("refresh_tokens", "refresh_token", v); err != nil || plain == token {
			return err == nil, err
		}
	}
	return false, rows.Err()
}

// SwapAuthorizerToken stores a refreshed access token if the stored version is still prev (the
// new version is then prev+1). A non-empty refresh token returned with it is stored too (and
// kept in the history); "" keeps the stored one, which is what a caller passes when WeChat
// returned the refresh token it already had: nothing more to write. A refresher pass is one
// UPDATE per authorizer that way.
func (db *DB) SwapAuthorizerToken(ctx context.Context, componentAppID, appid string, prev int64,
	accessToken string, obtainedAt, expiresAt time.Time, refreshToken string) error {
	if accessToken == "" {
		return fmt.Errorf("refusing to store an empty access token for %s", appid)
	}
	sealedAccess := db.sealer().seal("authorizers", "access_token", accessToken)
	sealedRefresh := db.sealer().seal("authorizers", "refresh_token", refreshToken)
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE authorizers SET access_token=?, access_obtained_at=?, access_expires_at=?,
				access_version=access_version+1,
				refresh_token=CASE WHEN ?='' THEN refresh_token ELSE ? END,
				status=?, last_error='', last_error_at=0, updated_at=?
			WHERE component_appid=? AND authorizer_appid=? AND access_version=?`,
			sealedAccess, unixMilli(obtainedAt), unixMilli(expiresAt), sealedRefresh, sealedRefresh, StatusHealthy, unixMilli(obtainedAt),
			componentAppID, appid, prev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("access token of %s: %w", appid, ErrConflict)
		}
		return db.recordRefreshToken(ctx, tx, componentAppID, appid, refreshToken, "api_authorizer_token", obtainedAt)
	})
}

// RecoverRefreshToken stores a refresh token found by api_get_authorizer_list (never an empty
// one), fsynced like a grant.
func (db *DB) RecoverRefreshToken(ctx context.Context, componentAppID, appid, token string, at time.Time) error {
	if token == "" {
		return fmt.Errorf("refusing to store an empty refresh token for %s", appid)
	}
	return db.durableTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE authorizers SET refresh_token=?, updated_at=? WHERE component_appid=? AND authorizer_appid=?`,
			db.sealer().seal("authorizers", "refresh_token", token), unixMilli(at), componentAppID, appid)
		if err != nil {
			return err
		}
		if err := oneRow(res, "authorizer "+appid); err != nil {
			return err
		}
		return db.recordRefreshToken(ctx, tx, componentAppID, appid, token, "api_get_authorizer_list", at)
	})
}

// SetAuthorizerInfo stores what api_get_authorizer_info said about the account.
func (db *DB) SetAuthorizerInfo(ctx context.Context, componentAppID, appid, nick, userName, principal, kind, infoJSON string, at time.Time) error {
	res, err := db.exec(ctx, `UPDATE authorizers SET nick_name=?, user_name=?, principal_name=?, kind=?, info_json=?, updated_at=?
		WHERE component_appid=? AND authorizer_appid=?`, nick, userName, principal, kind, infoJSON, unixMilli(at), componentAppID, appid)
	if err != nil {
		return err
	}
	return oneRow(res, "authorizer "+appid)
}

// SetAuthorizerStatus records a status and the error that led to it (empty clears it), if the
// stored status is one of from: the caller's lifecycle decides which moves are legal, and the
// condition in the UPDATE keeps a racing writer from slipping an illegal one in. A refused
// move is an ErrConflict naming the stored status.
func (db *DB) SetAuthorizerStatus(ctx context.Context, componentAppID, appid, status string, from []string, lastError string, at time.Time) error {
	errAt := int64(0)
	if lastError != "" {
		errAt = unixMilli(at)
	}
	args := []any{status, lastError, errAt, unixMilli(at), componentAppID, appid}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := db.exec(ctx, `UPDATE authorizers SET status=?, last_error=?, last_error_at=?, updated_at=?
		WHERE component_appid=? AND authorizer_appid=? AND status IN (`+placeholders(len(from))+`)`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var cur string
	err = db.queryRow(ctx, `SELECT status FROM authorizers WHERE component_appid=? AND authorizer_appid=?`,
		componentAppID, appid).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("authorizer %s: %w", appid, ErrNotFound)
	}
	if err != nil {
		return err
	}
	return &StatusConflict{AppID: appid, Stored: cur, Wanted: status}
}

// StatusConflict is a status change refused because of the stored status.
type StatusConflict struct{ AppID, Stored, Wanted string }

func (e *StatusConflict) Error() string {
	return fmt.Sprintf("authorizer %s is %s: not set to %s", e.AppID, e.Stored, e.Wanted)
}

// Is makes a StatusConflict an ErrConflict.
func (e *StatusConflict) Is(target error) bool { return target == ErrConflict }

// placeholders is "?,?,…" for n values ("NULL" for none, which matches nothing).
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.Repeat("?,", n-1) + "?"
}

// RefreshTokenHistory lists every refresh token seen for an authorizer, oldest first.
func (db *DB) RefreshTokenHistory(ctx context.Context, componentAppID, appid string) ([]string, error) {
	rows, err := db.query(ctx, `SELECT refresh_token FROM refresh_tokens WHERE component_appid=? AND authorizer_appid=?
		ORDER BY first_seen_at, `+db.d.seq(), componentAppID, appid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s, err = db.sealer().open("refresh_tokens", "refresh_token", s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RefreshTokenRecord is one refresh token of the history.
type RefreshTokenRecord struct {
	ComponentAppID string
	AppID          string
	Token          string
	Source         string // where it came from: redirect, push, paste, api_authorizer_token, api_get_authorizer_list, import
	FirstSeenAt    time.Time
}

// RefreshTokens lists a component appid's refresh-token history, by account and then oldest
// first. It outlives the platform (RemovePlatform keeps it), so it answers for an appid that is
// not configured too.
func (db *DB) RefreshTokens(ctx context.Context, componentAppID string) ([]RefreshTokenRecord, error) {
	rows, err := db.query(ctx, `SELECT component_appid, authorizer_appid, refresh_token, source, first_seen_at
		FROM refresh_tokens WHERE component_appid=? ORDER BY authorizer_appid, first_seen_at, `+db.d.seq(), componentAppID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RefreshTokenRecord
	for rows.Next() {
		var r RefreshTokenRecord
		var seen int64
		if err := rows.Scan(&r.ComponentAppID, &r.AppID, &r.Token, &r.Source, &seen); err != nil {
			return nil, err
		}
		if r.Token, err = db.sealer().open("refresh_tokens", "refresh_token", r.Token); err != nil {
			return nil, err
		}
		r.FirstSeenAt = fromUnixMilli(seen)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AuthorizersUpdatedSince lists a platform's authorizers whose row changed at or after since:
// what a follower of the store reads on each poll instead of every row.
func (db *DB) AuthorizersUpdatedSince(ctx context.Context, componentAppID string, since time.Time) ([]Authorizer, error) {
	rows, err := db.query(ctx, `SELECT `+authorizerCols+` FROM authorizers
		WHERE component_appid=? AND updated_at>=?`, componentAppID, since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Authorizer
	for rows.Next() {
		a, err := scanAuthorizer(db.sealer(), rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
