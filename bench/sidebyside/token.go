package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"wxauth/storage"
)

const tokenAppID = "wx8d5e2f7a1c3b9046"

// tokenDB is a database holding one authorizer with a token valid for two hours.
func tokenDB(ctx context.Context, dir string) (path, token string, err error) {
	path = filepath.Join(dir, "token.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	now := time.Now()
	if err := db.AddPlatform(ctx, storage.Platform{ComponentAppID: platAppID, AppSecret: strings.Repeat("s", 32),
		Token: platToken, EncodingAESKey: platAESKey, AuthDomain: "127.0.0.1:8765", CreatedAt: now}); err != nil {
		return "", "", err
	}
	token = "84_" + strings.Repeat("A", 130)
	_, err = db.SaveGrant(ctx, storage.Grant{ComponentAppID: platAppID, AppID: tokenAppID, AccessToken: token,
		ExpiresAt: now.Add(2 * time.Hour), RefreshToken: "refreshtoken@@@" + strings.Repeat("R", 43), FuncInfo: []int{17},
		At: now, Source: "bench"})
	return path, token, err
}

// median runs argv n times (after one unmeasured run) and returns the median wall time from
// start to exit; every run must print want.
func median(n int, want string, argv ...string) (time.Duration, error) {
	times := make([]time.Duration, 0, n)
	for i := 0; i <= n; i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil || strings.TrimSpace(string(out)) != want {
			return 0, fmt.Errorf("%s: %v, printed %.60q", strings.Join(argv, " "), err, out)
		}
		if i > 0 {
			times = append(times, d)
		}
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}
