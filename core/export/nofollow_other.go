//go:build !unix

package export

import "os"

// noFollow: this OS has no O_NOFOLLOW; WriteFile's Lstat check stands alone.
const noFollow = 0

// ownedByOther cannot tell here.
func ownedByOther(os.FileInfo) bool { return false }
