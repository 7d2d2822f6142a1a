//go:build unix

package export

import (
	"os"
	"syscall"
)

// noFollow makes the open of an existing export file fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// ownedByOther reports whether fi belongs to another user.
func ownedByOther(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) != os.Geteuid()
}

// ownerOnly reports whether a file of mode perm is readable by its owner alone.
func ownerOnly(perm os.FileMode) bool { return perm == 0o600 }
