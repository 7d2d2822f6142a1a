package wxsim

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Credential shapes of reference §0: tokens are "<2 digits>_<~130 chars [A-Za-z0-9_-]>",
// codes and tickets a fixed prefix followed by 86 characters, refresh tokens 15 + 43.
const (
	preAuthCodePrefix  = "preauthcode@@@"
	authCodePrefix     = "queryauthcode@@@"
	ticketPrefix       = "ticket@@@"
	refreshTokenPrefix = "refreshtoken@@@"
	codeTailLen        = 86
	refreshTailLen     = 43
	tokenTailLen       = 134
)

// tokenAlphabet has exactly 64 characters, so a random byte masked to 6 bits picks one
// uniformly.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// ridRe is the shape of a rid: three groups of 8 lowercase hex digits.
var ridRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`) })

// lockedReader serialises reads: Options.Random may be a deterministic reader that is not
// safe for concurrent use.
type lockedReader struct {
	mu  sync.Mutex
	src io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return io.ReadFull(l.src, p)
}

// gen mints credentials and rids from the simulator's random source.
type gen struct {
	rnd    io.Reader
	prefix string // the two-digit token generation, the same for every token of one sim
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(g.rnd, b); err != nil {
		// The random source is crypto/rand or a test reader; failing is not recoverable and
		// handing out predictable credentials would be worse than stopping.
		panic(fmt.Sprintf("wxsim: random source failed: %v", err))
	}
	return b
}

func (g *gen) chars(n int) string {
	b := g.bytes(n)
	for i := range b {
		b[i] = tokenAlphabet[b[i]&63]
	}
	return string(b)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := g.bytes(n)
	for i := range b {
		b[i] = digits[b[i]&15]
	}
	return string(b)
}

func (g *gen) token() string        { return g.prefix + "_" + g.chars(tokenTailLen) }
func (g *gen) preAuthCode() string  { return preAuthCodePrefix + g.chars(codeTailLen) }
func (g *gen) authCode() string     { return authCodePrefix + g.chars(codeTailLen) }
func (g *gen) ticket() string       { return ticketPrefix + g.chars(codeTailLen) }
func (g *gen) refreshToken() string { return refreshTokenPrefix + g.chars(refreshTailLen) }
func (g *gen) opaque() string       { return g.chars(32) }

// rid is "<unix time in hex>-<8 hex>-<8 hex>", like WeChat's.
func (g *gen) rid(now time.Time) string {
	return fmt.Sprintf("%08x-%s-%s", uint32(now.Unix()), g.hex(8), g.hex(8))
}

// nonce is a push nonce: 9 or 10 decimal digits, like WeChat's.
func (g *gen) nonce() string {
	n := binary.BigEndian.Uint32(g.bytes(4))
	return fmt.Sprintf("%d", 100000000+n%4000000000)
}

// seededRand derives a deterministic math/rand source from the random reader, so that a test
// giving a fixed reader gets reproducible fault injection.
func (g *gen) seededRand() *rand.Rand {
	var seed [32]byte
	copy(seed[:], g.bytes(32))
	return rand.New(rand.NewChaCha8(seed))
}

// normalizeCode gives a code sent without its prefix ("…@@@") its prefix back, when
// Settings.AcceptBareCodes allows it, so that it can be looked up.
func (s *Sim) normalizeCode(code, prefix string) string {
	if code == "" || strings.HasPrefix(code, prefix) || !*s.settings.AcceptBareCodes {
		return code
	}
	if strings.Contains(code, "@@@") {
		return code
	}
	return prefix + code
}
