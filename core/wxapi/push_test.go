package wxapi_test

import (
	"os"
	"testing"

	"wxauth/core/wxapi"
)

func TestPushMessageMatchesVectors(t *testing.T) {
	cases := []struct {
		file string
		want wxapi.PushMessage
	}{
		{"v1_inner.xml", wxapi.PushMessage{AppID: "wx134c8103faa5a59e", CreateTime: 1715943329, InfoType: "component_verify_ticket", ComponentVerifyTicket: "ticket@@@SIMULATOR-TEST-VECTOR-0001"}},
		{"v2_inner.xml", wxapi.PushMessage{AppID: "wx134c8103faa5a59e", CreateTime: 1715943400, InfoType: "authorized", AuthorizerAppID: "wxba5fad812f8e6fb9",
			AuthorizationCode: "queryauthcode@@@SIMULATOR-TEST-AUTHCODE-0001", AuthorizationCodeExpiredTime: 1715947000, PreAuthCode: "preauthcode@@@SIMULATOR-TEST-PREAUTH-0001"}},
	}
	for _, tc := range cases {
		raw, err := os.ReadFile("../../testdata/vectors/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := wxapi.ParsePushMessage(raw)
		if err != nil || got != tc.want {
			t.Errorf("%s: ParsePushMessage = %+v, %v", tc.file, got, err)
		}
		if string(tc.want.XML()) != string(raw) {
			t.Errorf("%s: XML() =\n%s\nwant\n%s", tc.file, tc.want.XML(), raw)
		}
	}
}

func TestParsePushMessageRejects(t *testing.T) {
	for _, doc := range []string{"", "hello", "<xml></xml>", "<xml><InfoType>x</InfoType><CreateTime>abc</CreateTime></xml>"} {
		if _, err := wxapi.ParsePushMessage([]byte(doc)); err == nil {
			t.Errorf("ParsePushMessage(%q) succeeded", doc)
		}
	}
}

// TestDoctorProbeRoundTrip: the doctor's probe carries its nonce through XML and back.
func TestDoctorProbeRoundTrip(t *testing.T) {
	m := wxapi.PushMessage{AppID: "wx3f9a6c21b5d7e08c", CreateTime: 1700000000, InfoType: wxapi.InfoTypeDoctorProbe, ProbeNonce: "0a1b2c3d4e5f"}
	got, err := wxapi.ParsePushMessage(m.XML())
	if err != nil || got != m {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, m)
	}
}
