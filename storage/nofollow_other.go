//go:build !unix

package storage

import "os"

// noFollow: this OS has no O_NOFOLLOW; the Lstat check before each open stands alone.
const noFollow = 0

// ownedByOther cannot tell here; file modes are the OS's business.
func ownedByOther(os.FileInfo) bool { return false }
