//go:build unix

package storage

import (
	"os"
	"syscall"
)

// noFollow makes an open fail on a symbolic link in the last component of the path, closing
// the gap between the Lstat check and the open.
const noFollow = syscall.O_NOFOLLOW

// ownedByOther reports whether fi belongs to another user, whose file we must not write into.
func ownedByOther(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) != os.Geteuid()
}
