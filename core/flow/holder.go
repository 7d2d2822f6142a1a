package flow

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Lease holders are named host:pid:random. On Linux the host part carries the PID namespace
// too, so containers that share a hostname never judge each other's pids. A process that finds
// the lease held by a process of its own host that no longer runs (killed, crashed, or unable
// to write the release, say on a full disk) takes it over after deadHolderGrace instead of
// waiting out the TTL: a `serve` restarted after kill -9 refreshes within seconds, and
// `wxauth token` is not blocked for a minute.

// HostEnv overrides this host's name in lease holders (WXAUTH_HOST), for hosts that share a
// server database and a hostname (containers, tests).
const HostEnv = "WXAUTH_HOST"

// sharedLeaseTTL is the lease TTL on a store shared by several hosts.
const sharedLeaseTTL = 15 * time.Second

// deadHolderGrace is how long a dead holder's lease is left alone after it is first seen dead.
// Requests the dead process had in flight may still reach WeChat; a token one of them mints
// after our refresh would silently supersede ours (40001 once the overlap ends), so they are
// given time to land first.
const deadHolderGrace = 5 * time.Second

// localHost names this host (and PID namespace) in lease holders.
func localHost() string {
	host, _ := os.Hostname()
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		host += "/" + strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
	}
	return host
}

func defaultHolder(host, random string) string {
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), random)
}

// deadHolder reports whether holder is a process of this host that no longer runs. Holders
// of other hosts, other formats, this very process and live (or reused) pids never are.
func (e *Engine) deadHolder(holder string) bool {
	rest, _, ok := cutLast(holder, ":")
	if !ok {
		return false
	}
	host, pidText, ok := cutLast(rest, ":")
	if !ok || host != e.host {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !processAlive(pid)
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
