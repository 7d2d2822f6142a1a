#!/usr/bin/env bash
# Release binaries: wxauth for linux, darwin and windows on amd64 and arm64, into dist/ with a
# SHA256SUMS file. Run from a clean git checkout (a tag, ideally): the version, commit and its
# time come from Go's build information, which `wxauth --version` prints, so a dirty tree shows
# as "+dirty" rather than passing for the tag.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export CGO_ENABLED=0 # modernc.org/sqlite is pure Go: every target cross-builds from here
TARGETS="${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}"

rm -rf dist && mkdir dist
for target in $TARGETS; do
  goos="${target%/*}" goarch="${target#*/}"
  out="dist/wxauth-${goos}-${goarch}"
  [ "$goos" = windows ] && out="$out.exe"
  echo "== $target → $out"
  GOOS="$goos" GOARCH="$goarch" go build -buildvcs=auto -trimpath -ldflags "-s -w" -o "$out" .
  # Go stamps nothing outside a plain git clone (a tarball; a git worktree, with this Go).
  if ! go version -m "$out" | grep -q 'vcs.revision='; then
    echo "warning: $out carries no commit: wxauth --version will say (devel); build from a git clone" >&2
  fi
done
(cd dist && sha256sum wxauth-* >SHA256SUMS)
cat dist/SHA256SUMS
