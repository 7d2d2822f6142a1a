package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// The default database's place, per OS. Pure functions of the OS name, the environment and
// the home directory, so that the Linux test run checks the Windows and macOS answers too.

// dataDirPath is wxauth.db in the platform's data directory for goos: %LocalAppData%\wxauth
// on Windows, ~/Library/Application Support/wxauth on macOS, $XDG_DATA_HOME/wxauth or
// ~/.local/share/wxauth elsewhere. Where that differs from the XDG place, a database already
// at the XDG place (wxauth's only default before) is kept in use while the platform's does not
// exist, so upgrading never strands the user's credentials.
func dataDirPath(goos string, getenv func(string) string, home func() (string, error), exists func(string) bool) (string, error) {
	platform, err := platformDBPath(goos, getenv, home)
	if err != nil {
		return "", err
	}
	legacy, err := xdgDBPath(goos, getenv, home)
	if err != nil || legacy == platform || exists(platform) || !exists(legacy) {
		return platform, nil
	}
	return legacy, nil
}

// platformDBPath is wxauth.db in the data directory the OS's conventions name.
func platformDBPath(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	switch goos {
	case "windows":
		if dir := getenv("LocalAppData"); dir != "" {
			return joinOn(goos, dir, "wxauth", "wxauth.db"), nil
		}
		h, err := homeDir(home)
		if err != nil {
			return "", err
		}
		return joinOn(goos, h, "AppData", "Local", "wxauth", "wxauth.db"), nil
	case "darwin", "ios":
		h, err := homeDir(home)
		if err != nil {
			return "", err
		}
		return joinOn(goos, h, "Library", "Application Support", "wxauth", "wxauth.db"), nil
	}
	return xdgDBPath(goos, getenv, home)
}

// xdgDBPath is wxauth.db under $XDG_DATA_HOME, else ~/.local/share.
func xdgDBPath(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	if dir := getenv("XDG_DATA_HOME"); dir != "" {
		return joinOn(goos, dir, "wxauth", "wxauth.db"), nil
	}
	h, err := homeDir(home)
	if err != nil {
		return "", err
	}
	return joinOn(goos, h, ".local", "share", "wxauth", "wxauth.db"), nil
}

func homeDir(home func() (string, error)) (string, error) {
	h, err := home()
	if err == nil && h == "" {
		err = errors.New("$HOME is empty")
	}
	if err != nil {
		return "", fmt.Errorf("no home directory for the default database (use --db or WXAUTH_DB): %w", err)
	}
	return h, nil
}

// joinOn joins path elements with goos's separator (filepath.Join knows only the running OS's).
func joinOn(goos, dir string, elems ...string) string {
	sep := "/"
	if goos == "windows" {
		sep = `\`
	}
	dir = strings.TrimRight(dir, sep)
	return dir + sep + strings.Join(elems, sep)
}

// fileExists reports whether something is at path (a link counts: Open refuses it by name).
func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
