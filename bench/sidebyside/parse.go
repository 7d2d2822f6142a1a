package main

import (
	"encoding/xml"
	"errors"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// parseWXAuth is wxauth's verify + decrypt + parse of one ticket push, as its listener runs it.
func parseWXAuth(c *wxcrypt.Crypter, p wxcrypt.Push) error {
	plain, _, err := c.OpenPush(p.Query, p.Body)
	if err != nil {
		return err
	}
	m, err := wxapi.ParsePushMessage(plain)
	if err == nil && m.ComponentVerifyTicket == "" {
		err = errors.New("no ticket")
	}
	return err
}

// parsePeer is the same work as silenceper/wechat's server does it (getEncryptBody,
// util.Signature, util.DecryptMsg, parseRequestMessage).
func parsePeer(p wxcrypt.Push) error {
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(p.Body, &env); err != nil {
		return err
	}
	if util.Signature(platToken, p.Query.Timestamp, p.Query.Nonce, env.EncryptedMsg) != p.Query.MsgSignature {
		return errors.New("signature")
	}
	_, plain, err := util.DecryptMsg(platAppID, env.EncryptedMsg, platAESKey)
	if err != nil {
		return err
	}
	var m message.MixMessage
	if err := xml.Unmarshal(plain, &m); err != nil {
		return err
	}
	if m.ComponentVerifyTicket == "" {
		return errors.New("no ticket")
	}
	return nil
}

// timeParse runs fn over the pushes rounds times and returns the time per push of its fastest
// round; the two libraries' rounds alternate (compare), so that a burst of load on the machine
// does not fall on one of them only.
func timeParse(ps []wxcrypt.Push, rounds int, fns ...func(wxcrypt.Push) error) ([]time.Duration, error) {
	best := make([]time.Duration, len(fns))
	for range rounds {
		for k, fn := range fns {
			start := time.Now()
			for _, p := range ps {
				if err := fn(p); err != nil {
					return nil, err
				}
			}
			if d := time.Since(start) / time.Duration(len(ps)); best[k] == 0 || d < best[k] {
				best[k] = d
			}
		}
	}
	return best, nil
}
