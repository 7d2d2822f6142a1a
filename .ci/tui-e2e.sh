#!/usr/bin/env bash
# End-to-end check of the console: `wxauth demo` runs in a tmux session of 120x40, is driven
# with keys like a newcomer would (authorize, approve as the sandbox merchant, copy the token,
# resize, quit), and every step is asserted on the captured screen. Installs nothing: it needs
# tmux (apt package `tmux`) and Go. On failure it prints the screen and exits non-zero.
#
#   bash .ci/tui-e2e.sh                       # build wxauth and run the check
#   WXAUTH_BIN=./wxauth bash .ci/tui-e2e.sh   # use a built binary
#   TUI_SCREENSHOT=docs/console.svg bash .ci/tui-e2e.sh   # also save the screen as SVG
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

command -v tmux >/dev/null || { echo "tui-e2e: tmux is not installed (apt-get install tmux)"; exit 1; }

work=$(mktemp -d)
sock="wxauth-e2e-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

bin="${WXAUTH_BIN:-}"
if [ -z "$bin" ]; then
  echo "== building wxauth"
  go build -o "$work/wxauth" .
  bin="$work/wxauth"
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

screen() { T capture-pane -p -t e2e; }
fail() {
  echo "tui-e2e: FAIL: $*"
  echo "----- screen -----"
  screen || true
  echo "------------------"
  [ -f "$work/demo.log" ] && { echo "----- wxauth-demo.log (tail) -----"; tail -n 20 "$work/wxauth-demo.log" 2>/dev/null || true; }
  exit 1
}
# wait_for REGEX [SECONDS]: until the screen matches (extended regex).
wait_for() {
  local re=$1 secs=${2:-15} i
  for ((i = 0; i < secs * 10; i++)); do
    if screen | grep -Eq -- "$re"; then return 0; fi
    sleep 0.1
  done
  fail "did not see /$re/ within ${secs}s"
}
keys() { T send-keys -t e2e "$@"; }

echo "== starting wxauth demo in tmux (120x40)"
# A server with the clipboard on, so the OSC 52 copy lands in a tmux buffer we can read.
T new-session -d -s e2e -x 120 -y 40 \
  "env TERM=xterm-256color COLORTERM=truecolor '$bin' demo --db '$work/demo.db'; echo \"EXIT=\$?\"; sleep 60"
T set-option -g set-clipboard on
T set-option -g window-size manual
T resize-window -t e2e -x 120 -y 40

wait_for 'wxauth +wx[0-9a-f]{16} +sandbox'
wait_for 'No account has authorized this platform yet|Waiting for the first component_verify_ticket'
if screen | grep -q 'Waiting for the first component_verify_ticket'; then
  keys t
  wait_for 'No account has authorized this platform yet' 30
fi
echo "ok   dashboard, ticket in, no authorizer yet"

keys a
wait_for 'Authorize an account'
keys Enter
wait_for 'Authorization waiting for the merchant'
wait_for 'press x to approve as the sandbox merchant'
echo "ok   authorization started: $(screen | grep -Eo 'http://[^ ]+/wechat/auth/start\?[^ ]*' | head -1)"

keys x
wait_for '▸ wx[0-9a-f]{16} .* healthy' 30
wait_for 'authorized; its access token is valid'
appid=$(screen | grep -Eo '▸ wx[0-9a-f]{16}' | head -1 | cut -c5-)
echo "ok   approved as the sandbox merchant: $appid appears, healthy"

keys c
wait_for "copied the access token of $appid"
token=$(T show-buffer 2>/dev/null || true)
if ! [[ "$token" =~ ^[A-Za-z0-9_@-]{20,}$ ]]; then
  fail "the clipboard (tmux buffer through OSC 52) holds '${token:0:40}', not a token"
fi
echo "ok   copied: the tmux buffer holds a ${#token}-character token"

keys Enter
wait_for 'Permission sets'
screen | grep -q -- "$token" && fail "the detail view shows the token unmasked"
keys v
wait_for 'tokens are revealed'
# Revealed, the token is one line of the screen (never wrapped); too long for 120 columns it is
# cut with … and the screen says so: a wider window shows it whole.
if ! screen | grep -qF -- "$token"; then
  screen | grep -q 'cut to fit the terminal: c and C copy them whole' || fail "the revealed token is neither whole on one line nor marked as cut"
  T resize-window -t e2e -x 160 -y 40
  for ((i = 0; i < 150; i++)); do screen | grep -qF -- "$token" && break; sleep 0.1; done
  screen | grep -qF -- "$token" || fail "the revealed token is not the copied one, whole on one line at 160 columns"
  T resize-window -t e2e -x 120 -y 40
fi
keys v Escape
wait_for 'Authorizers 1'
echo "ok   detail: masked, revealed on v, the same token on one line"

if [ -n "${TUI_SCREENSHOT:-}" ]; then
  T capture-pane -e -N -p -t e2e > "$work/screen.ans"
  go run ./tui/internal/ansisvg/cmd/ansisvg -title "wxauth demo" < "$work/screen.ans" > "$TUI_SCREENSHOT"
  echo "ok   screenshot written to $TUI_SCREENSHOT"
fi

T resize-window -t e2e -x 80 -y 24
wait_for 'Authorizers 1'
wait_for "$appid"
echo "ok   resized to 80x24: still laid out"
T resize-window -t e2e -x 120 -y 40

keys q
wait_for '^EXIT=0' 10
screen | grep -q 'Authorizers' && fail "the console did not restore the screen on exit"
echo "ok   q quits with status 0 and restores the terminal"
echo "== tui-e2e passed"
