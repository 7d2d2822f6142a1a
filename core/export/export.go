// Package export renders authorizer tokens for other programs (env files, JSON, shell) and
// writes them to files only their owner can read. The console and `wxauth export` share it.
package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
)

// Formats Format understands.
const (
	FormatEnv   = "env"   // KEY=value lines (dotenv, docker --env-file, systemd EnvironmentFile)
	FormatJSON  = "json"  // one array of objects
	FormatShell = "shell" // export KEY='value' lines for eval / source
)

// Formats lists the formats in the order help texts show them.
var Formats = []string{FormatEnv, FormatJSON, FormatShell}

// Item is one authorizer's credentials. RefreshToken is written only when set: callers decide
// whether refresh tokens leave the database at all.
type Item struct {
	ComponentAppID  string
	AuthorizerAppID string
	NickName        string
	AccessToken     string
	ExpiresAt       time.Time
	RefreshToken    string
}

// jsonItem is the JSON form; times are RFC 3339.
type jsonItem struct {
	ComponentAppID  string `json:"component_appid"`
	AuthorizerAppID string `json:"authorizer_appid"`
	NickName        string `json:"nick_name"`
	AccessToken     string `json:"access_token"`
	ExpiresAt       string `json:"expires_at"`
	RefreshToken    string `json:"refresh_token,omitempty"`
}

// ErrFormat is returned for an unknown format name.
var ErrFormat = errors.New("unknown export format")

// Format writes items in format (env, json or shell).
//
// In env and shell form every authorizer gives WXAUTH_<APPID>_ACCESS_TOKEN, _EXPIRES_AT,
// _COMPONENT_APPID, _REFRESH_TOKEN when present, and in shell form _NICK_NAME, where <APPID> is
// the authorizer appid in upper case; a comment line names the account. Because the names carry only the authorizer appid, the same
// authorizer under two platforms cannot share one env or shell file: that is an error.
func Format(w io.Writer, format string, items []Item) error {
	switch format {
	case FormatJSON:
		out := make([]jsonItem, len(items))
		for i, it := range items {
			out[i] = jsonItem{ComponentAppID: it.ComponentAppID, AuthorizerAppID: it.AuthorizerAppID,
				NickName: it.NickName, AccessToken: it.AccessToken, ExpiresAt: rfc3339(it.ExpiresAt),
				RefreshToken: it.RefreshToken}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case FormatEnv, FormatShell:
		var b strings.Builder
		seen := map[string]string{}
		for _, it := range items {
			key := EnvKey(it.AuthorizerAppID)
			if other, dup := seen[key]; dup {
				return fmt.Errorf("authorizer %s appears under platforms %s and %s, which would give the same variable names; export one platform at a time", it.AuthorizerAppID, other, it.ComponentAppID)
			}
			seen[key] = it.ComponentAppID
			fmt.Fprintf(&b, "# %s\n", comment(it))
			vars := [][2]string{
				{"ACCESS_TOKEN", it.AccessToken},
				{"EXPIRES_AT", rfc3339(it.ExpiresAt)},
				{"COMPONENT_APPID", it.ComponentAppID},
			}
			if format == FormatShell {
				// Nick names hold spaces, quotes and '#', which env-file readers disagree on;
				// env files carry the name in the comment line only.
				vars = append(vars, [2]string{"NICK_NAME", it.NickName})
			}
			if it.RefreshToken != "" {
				vars = append(vars, [2]string{"REFRESH_TOKEN", it.RefreshToken})
			}
			for _, v := range vars {
				name := "WXAUTH_" + key + "_" + v[0]
				if format == FormatShell {
					fmt.Fprintf(&b, "export %s=%s\n", name, ShellQuote(v[1]))
					continue
				}
				// env files have no quoting that every reader agrees on (docker keeps quotes
				// literally), so values are written raw and must fit on one line.
				if strings.ContainsAny(v[1], "\r\n\x00") {
					return fmt.Errorf("%s of %s contains a line break, which an env file cannot hold; use --format shell or json", strings.ToLower(v[0]), it.AuthorizerAppID)
				}
				fmt.Fprintf(&b, "%s=%s\n", name, v[1])
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	default:
		return fmt.Errorf("%w %q (use %s)", ErrFormat, format, strings.Join(Formats, ", "))
	}
}

// EnvKey turns an appid into the middle part of a variable name: upper case, anything but
// letters and digits replaced by '_'.
func EnvKey(appid string) string {
	b := []byte(strings.ToUpper(appid))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// ShellQuote quotes s for POSIX shells: inside single quotes nothing is special, and a single
// quote ends the quoting, is written as \' and the quoting starts again.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// comment is the header line of an item, with anything that could end the comment removed.
func comment(it Item) string {
	s := it.AuthorizerAppID
	if it.NickName != "" {
		s = it.NickName + " (" + it.AuthorizerAppID + ")"
	}
	s += " of platform " + it.ComponentAppID
	if !it.ExpiresAt.IsZero() {
		s += ", access token expires " + rfc3339(it.ExpiresAt)
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// WriteFile writes data to path so that only its owner can ever read it.
//
// A new file is created with O_EXCL and mode 0600, so it is never readable by others, not even
// for an instant, and a symlink planted at path is not followed. An existing file is
// overwritten only when it is a regular file owned by us whose mode is already exactly 0600 (a
// previous export, say); anything else (a file others can read, a symlink, a directory) is
// refused rather than silently tightened or replaced, because the user chose that file and its
// mode deliberately, or someone else did.
func WriteFile(path string, data []byte) error {
	for range 3 {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			// The umask can only remove bits; make sure none was added by an odd filesystem.
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return fmt.Errorf("export file %s: %w", path, err)
			}
			return finish(f, path, data)
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("export file: %w", err)
		}
		// ModeIrregular: Windows reports its other reparse points (junctions…) so.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return fmt.Errorf("export file %s is a symbolic link; refusing to write tokens through it", path)
		}
		f, err = os.OpenFile(path, os.O_WRONLY|noFollow, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed between the two opens: create it afresh
		}
		if err != nil {
			if errors.Is(err, syscall.ELOOP) {
				return fmt.Errorf("export file %s is a symbolic link; refusing to write tokens through it", path)
			}
			return fmt.Errorf("export file: %w", err)
		}
		// Check the file we actually opened, not the path, so a swap after the check is harmless.
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("export file %s: %w", path, err)
		}
		if !st.Mode().IsRegular() {
			f.Close()
			return fmt.Errorf("export file %s is not a regular file", path)
		}
		if perm := st.Mode().Perm(); !ownerOnly(perm) {
			f.Close()
			return fmt.Errorf("refusing to overwrite %s: its mode is %#o, tokens need 0600 (chmod 600 it, or remove it and export again)", path, perm)
		}
		if ownedByOther(st) {
			f.Close()
			return fmt.Errorf("refusing to overwrite %s: it belongs to another user", path)
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return fmt.Errorf("export file %s: %w", path, err)
		}
		return finish(f, path, data)
	}
	return fmt.Errorf("export file %s keeps appearing and disappearing; giving up", path)
}

func finish(f *os.File, path string, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing export file %s: %w", path, err)
	}
	return nil
}
