package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
)

// ReadKeyFile reads a key file (--key-file): the key's base64 on its first line. The file must
// be a regular file (never a symbolic link) that only its owner can read: a key readable by
// others protects nothing, so such a file is refused, with the chmod that fixes it.
func ReadKeyFile(path string) (Key, error) {
	f, err := openPlain(path, os.O_RDONLY)
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	// Windows has no owner-only mode bits; its ACLs are the user's to set.
	if perm := st.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return Key{}, fmt.Errorf("key file %s can be read by others (mode %04o); wxauth will not use a key that is not owner-only"+
			"\n  what to do: chmod 600 %s (and consider the key exposed: wxauth key rotate)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	k, err := ParseKey(firstLine(string(data)))
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// WriteKeyFile writes k to a new file at path, 0600 from its first byte. An existing file is
// never replaced: it may hold the key a database is sealed under.
func WriteKeyFile(path string, k Key) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("key file %s exists; wxauth never overwrites a key file (it may be the key a database is sealed under)"+
			"\n  what to do: choose another name, or move the old file away if you are sure it is not needed", path)
	}
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if _, err := f.WriteString(k.Encode() + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return f.Close()
}
