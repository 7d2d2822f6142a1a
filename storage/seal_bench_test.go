package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"wxauth/storage"
)

// BenchmarkRefreshWrite is one authorizer-token refresh as the refresher writes it (the swap,
// the refresh token checked against the account's history, the row read back), plaintext and
// sealed, over 1,000 accounts with 3 history tokens each:
//
//	go test -run '^$' -bench RefreshWrite -benchtime 3000x ./storage/
func BenchmarkRefreshWrite(b *testing.B) {
	for _, sealed := range []bool{false, true} {
		name := "plaintext"
		var opts []storage.Option
		if sealed {
			name = "sealed"
			opts = append(opts, storage.WithKey(mustKey(b)))
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := openPath(b, filepath.Join(b.TempDir(), "wxauth.db"), opts...)
			defer db.Close()
			const accounts = 1000
			for i := range accounts {
				for h := range 3 {
					if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: fmt.Sprintf("wx%016x", i),
						AccessToken: "access", RefreshToken: fmt.Sprintf("refreshtoken@@@%d-%d", i, h), At: t0}); err != nil {
						b.Fatal(err)
					}
				}
			}
			versions := make([]int64, accounts)
			b.ResetTimer()
			for n := range b.N {
				i := n % accounts
				appid := fmt.Sprintf("wx%016x", i)
				if versions[i] == 0 {
					a, err := db.Authorizer(ctx, "wxc", appid)
					if err != nil {
						b.Fatal(err)
					}
					versions[i] = a.AccessVersion
				}
				err := db.SwapAuthorizerToken(ctx, "wxc", appid, versions[i], fmt.Sprintf("ACCESS-%d", n), t0, t0.Add(2*time.Hour),
					fmt.Sprintf("refreshtoken@@@%d-2", i))
				if err != nil {
					b.Fatal(err)
				}
				versions[i]++ // a swap moves the version from prev to prev+1
			}
		})
	}
}

// BenchmarkRotateKey re-seals a database of 10,000 accounts (an access and a refresh token
// each, 2 history tokens) under a new key, VACUUM included as `wxauth key rotate` does:
//
//	go test -run '^$' -bench RotateKey -benchtime 3x ./storage/
func BenchmarkRotateKey(b *testing.B) {
	ctx := context.Background()
	db := openPath(b, filepath.Join(b.TempDir(), "wxauth.db"), storage.WithKey(mustKey(b)))
	defer db.Close()
	const accounts = 10000
	for i := range accounts {
		for h := range 2 {
			if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: fmt.Sprintf("wx%016x", i),
				AccessToken: fmt.Sprintf("ACCESS-%d", i), RefreshToken: fmt.Sprintf("refreshtoken@@@%d-%d", i, h), At: t0}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		n, err := db.RotateKey(ctx, mustKey(b))
		if err != nil || n != accounts*4 {
			b.Fatalf("rotated %d: %v", n, err)
		}
		if err := db.Compact(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
