package callback

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strconv"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// MessageReply is the engine's answer to a message: a passive reply (plaintext XML, encrypted
// here), an empty answer, or neither (acknowledged with `success`).
type MessageReply struct {
	XML   []byte
	Empty bool
}

// messageFor finds the platform whose Token verifies the request's signature. Message pushes
// carry no component AppId (their envelope names the account's gh_ id), so with several
// platforms the signature is what tells them apart; the appid check after decryption confirms it.
func (s *Server) messageFor(verify func(*wxcrypt.Crypter) error) (*wxcrypt.Crypter, error) {
	if s.cfg.Crypters == nil {
		return nil, errors.New("no platform configured")
	}
	var last error = errors.New("no platform configured")
	for _, c := range s.cfg.Crypters() {
		if err := verify(c); err != nil {
			last = err
			continue
		}
		return c, nil
	}
	return nil, last
}

// messageEcho is the GET check WeChat (or a developer's own tool) makes of a message URL:
// a valid signature gets echostr back, decrypted when it comes encrypted.
func (s *Server) messageEcho(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce, echo := q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")
	c, err := s.messageFor(func(c *wxcrypt.Crypter) error {
		if ms := q.Get("msg_signature"); ms != "" {
			return c.VerifyMsgSignature(ms, ts, nonce, echo)
		}
		return c.VerifySignature(q.Get("signature"), ts, nonce)
	})
	if err != nil {
		s.cfg.Logger.Warn("message URL check rejected", "reason", err.Error(), "remote", remoteIP(r))
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if q.Get("msg_signature") != "" {
		plain, _, err := c.Decrypt(echo)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		echo = string(plain)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, echo)
}

// message is the 消息与事件接收URL, POST /wechat/messages/{appid}: verify, decrypt, let the
// engine decide, and answer within WeChat's 5 s.
func (s *Server) message(w http.ResponseWriter, r *http.Request) {
	appid := r.PathValue("appid")
	if !wxapi.IsAppID(appid) {
		// WeChat substitutes $APPID$ with a real appid; anything else is not from WeChat.
		http.Error(w, "not an appid in the message URL: "+strconv.Quote(appid), http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPushBytes))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	env, err := wxcrypt.ParseEnvelope(body)
	if err != nil {
		s.rejectMessage(r, w, http.StatusBadRequest, "", err)
		return
	}
	q := wxcrypt.ParsePushQuery(r.URL.Query())
	c, err := s.messageFor(func(c *wxcrypt.Crypter) error {
		return c.VerifyMsgSignature(q.MsgSignature, q.Timestamp, q.Nonce, env.Encrypt)
	})
	if err != nil {
		s.rejectMessage(r, w, http.StatusForbidden, "", err)
		return
	}
	plain, _, err := c.Decrypt(env.Encrypt)
	if err != nil {
		s.rejectMessage(r, w, http.StatusForbidden, c.AppID(), err)
		return
	}
	if s.cfg.Message == nil {
		s.success(w)
		return
	}
	reply, err := s.cfg.Message(r.Context(), c.AppID(), appid, plain)
	if err != nil {
		s.cfg.Logger.Error("message not handled", "component_appid", c.AppID(), "authorizer_appid", appid, "err", err)
		s.success(w) // acknowledged: WeChat's retries would not help
		return
	}
	switch {
	case reply.XML != nil:
		ts := strconv.FormatInt(s.cfg.Now().Unix(), 10)
		sealed, err := c.SealReply(rand.Reader, reply.XML, ts, strconv.FormatUint(uint64(randUint32()), 10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Write(sealed)
	case reply.Empty:
		w.WriteHeader(http.StatusOK)
	default:
		s.success(w)
	}
}

func (s *Server) rejectMessage(r *http.Request, w http.ResponseWriter, status int, appid string, err error) {
	if ok, _ := s.rejects.allow(s.cfg.Now()); ok {
		s.cfg.Logger.Warn("message rejected", "reason", err.Error(), "component_appid", appid, "remote", remoteIP(r))
		s.cfg.Reject(context.WithoutCancel(r.Context()), appid, "message to "+r.URL.Path+": "+err.Error(), codeOf(err))
	}
	http.Error(w, err.Error(), status)
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
