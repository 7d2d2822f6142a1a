//go:build !unix

package export

import "os"

// noFollow: this OS has no O_NOFOLLOW; WriteFile's Lstat check stands alone.
const noFollow = 0

// ownedByOther cannot tell here.
func ownedByOther(os.FileInfo) bool { return false }

// ownerOnly: here the mode bits do not say who may read a file (on Windows its ACL does, see
// the README), so the mode alone refuses nothing.
func ownerOnly(os.FileMode) bool { return true }
