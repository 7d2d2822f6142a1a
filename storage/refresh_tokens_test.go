package storage_test

import (
	"context"
	"testing"
	"time"

	"wxauth/storage"
)

// TestRemovePlatformKeepsRefreshTokens: removing a platform deletes its accounts but keeps
// their refresh-token history, which RefreshTokens still lists for the appid.
func TestRemovePlatformKeepsRefreshTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.AddPlatform(ctx, storage.Platform{ComponentAppID: "wxc", AppSecret: "s", Token: "t", EncodingAESKey: "k", AuthDomain: "d", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		for i, g := range []storage.Grant{
			{ComponentAppID: "wxc", AppID: "wxb", RefreshToken: "rtb1", At: t0, Source: "redirect"},
			{ComponentAppID: "wxc", AppID: "wxa", RefreshToken: "rta1", At: t0.Add(time.Minute), Source: "push"},
			{ComponentAppID: "wxc", AppID: "wxa", RefreshToken: "rta2", At: t0.Add(2 * time.Minute), Source: "import"},
			{ComponentAppID: "wxother", AppID: "wxa", RefreshToken: "rtx", At: t0, Source: "paste"},
		} {
			if _, err := db.SaveGrant(ctx, g); err != nil {
				t.Fatalf("grant %d: %v", i, err)
			}
		}
		if err := db.RemovePlatform(ctx, "wxc"); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.Authorizers(ctx, "wxc"); len(list) != 0 {
			t.Fatalf("accounts left after removal: %v", list)
		}
		got, err := db.RefreshTokens(ctx, "wxc")
		if err != nil {
			t.Fatal(err)
		}
		want := []storage.RefreshTokenRecord{
			{ComponentAppID: "wxc", AppID: "wxa", Token: "rta1", Source: "push", FirstSeenAt: t0.Add(time.Minute)},
			{ComponentAppID: "wxc", AppID: "wxa", Token: "rta2", Source: "import", FirstSeenAt: t0.Add(2 * time.Minute)},
			{ComponentAppID: "wxc", AppID: "wxb", Token: "rtb1", Source: "redirect", FirstSeenAt: t0},
		}
		if len(got) != len(want) {
			t.Fatalf("history = %+v", got)
		}
		for i := range want {
			if got[i].AppID != want[i].AppID || got[i].Token != want[i].Token || got[i].Source != want[i].Source || !got[i].FirstSeenAt.Equal(want[i].FirstSeenAt) {
				t.Errorf("history[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}
