package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"wxauth/core/wxcrypt"
)

func (a *app) pushCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Decrypt or encrypt WeChat pushes (debug real pushes offline)",
	}
	cmd.AddCommand(a.pushDecryptCmd(), a.pushEncryptCmd())
	return cmd
}

// readInput reads FILE, or stdin when no file (or "-") is given.
func (a *app) readInput(args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		return io.ReadAll(a.in)
	}
	return os.ReadFile(args[0])
}

func (a *app) pushDecryptCmd() *cobra.Command {
	var token, aesKey, appid, msgSig, ts, nonce string
	cmd := &cobra.Command{
		Use:   "decrypt [FILE]",
		Short: "Decrypt a push body (outer XML or bare Encrypt value) and print the message",
		Example: `  # a captured push body, verifying its msg_signature from the request URL
  wxauth push decrypt --token T --aes-key K --appid wx134c8103faa5a59e \
    --msg-signature decc5f9f... --timestamp 1715943329 --nonce 1590219412 body.xml

  # a bare Encrypt value from a log line, appid reported on stderr
  echo 'D7yzvUNAL930rd28...' | wxauth push decrypt --token T --aes-key K`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if msgSig != "" && (ts == "" || nonce == "") {
				return usageErr("--msg-signature needs --timestamp and --nonce")
			}
			c, err := pushCrypter(token, aesKey, appid)
			if err != nil {
				return err
			}
			input, err := a.readInput(args)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			encrypt := string(bytes.TrimSpace(input))
			if encrypt == "" {
				return usageErr("no input: pass the push body (a file, or on stdin), or the bare Encrypt value")
			}
			if strings.HasPrefix(encrypt, "<") {
				env, err := wxcrypt.ParseEnvelope(input)
				if err != nil {
					return withCode(ExitWaiting, err)
				}
				encrypt = env.Encrypt
			}
			if msgSig != "" {
				if err := c.VerifyMsgSignature(msgSig, ts, nonce, encrypt); err != nil {
					return withCode(ExitWaiting, err)
				}
			}
			msg, found, err := c.Decrypt(encrypt)
			if err != nil {
				return withCode(ExitWaiting, err)
			}
			if appid == "" {
				fmt.Fprintf(a.err, "appid: %s (not checked; pass --appid to check it)\n", found)
			}
			_, err = a.raw.Write(msg) // byte for byte: the message is the output
			return withCode(ExitFailure, err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&token, "token", "", "the platform's message Token (default $WXAUTH_TOKEN; a flag shows in ps)")
	f.StringVar(&aesKey, "aes-key", "", "the 43-character EncodingAESKey (default $WXAUTH_AES_KEY; a flag shows in ps)")
	f.StringVar(&appid, "appid", "", "expected component appid (checked after decryption)")
	f.StringVar(&msgSig, "msg-signature", "", "msg_signature from the push URL (verified when given)")
	f.StringVar(&ts, "timestamp", "", "timestamp from the push URL")
	f.StringVar(&nonce, "nonce", "", "nonce from the push URL")
	return cmd
}

func (a *app) pushEncryptCmd() *cobra.Command {
	var token, aesKey, appid, ts, nonce, random string
	cmd := &cobra.Command{
		Use:   "encrypt [FILE]",
		Short: "Encrypt a message into the push WeChat would send (body and query string)",
		Example: `  # reproducible output: fixed random bytes
  wxauth push encrypt --token T --aes-key K --appid wx134c8103faa5a59e \
    --timestamp 1715943329 --nonce 1590219412 --random 1205899eaf019bbd inner.xml

  # JSON for scripts, then replay it against a listener with curl
  wxauth push encrypt ... --json < inner.xml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rnd io.Reader = rand.Reader
			if cmd.Flags().Changed("random") {
				if len(random) != 16 {
					return usageErr("--random must be exactly 16 ASCII characters, got %d", len(random))
				}
				rnd = strings.NewReader(random)
			}
			c, err := pushCrypter(token, aesKey, appid)
			if err != nil {
				return err
			}
			msg, err := a.readInput(args)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			p, err := c.SealPush(rnd, msg, ts, nonce)
			if err != nil {
				return withCode(ExitWaiting, err)
			}
			if a.flags.json {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]string{
					"encrypt": p.Encrypt, "msg_signature": p.Query.MsgSignature, "signature": p.Query.Signature,
					"timestamp": ts, "nonce": nonce, "body": string(p.Body),
				})
			}
			fmt.Fprintf(a.out, "%s\n?%s\n", p.Body, p.Query.Encode())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&token, "token", "", "the platform's message Token (default $WXAUTH_TOKEN; a flag shows in ps)")
	f.StringVar(&aesKey, "aes-key", "", "the 43-character EncodingAESKey (default $WXAUTH_AES_KEY; a flag shows in ps)")
	f.StringVar(&appid, "appid", "", "component appid appended to the plaintext")
	f.StringVar(&ts, "timestamp", "", "timestamp to sign with")
	f.StringVar(&nonce, "nonce", "", "nonce to sign with")
	f.StringVar(&random, "random", "", "the 16 random bytes as 16 ASCII characters (default: crypto/rand)")
	for _, n := range []string{"appid", "timestamp", "nonce"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}

// pushCrypter builds the crypter of the push commands from the flags or the environment.
func pushCrypter(token, aesKey, appid string) (*wxcrypt.Crypter, error) {
	token, aesKey = orEnv(token, "WXAUTH_TOKEN"), orEnv(aesKey, "WXAUTH_AES_KEY")
	switch {
	case token == "":
		return nil, usageErr("the Token is required: --token or $WXAUTH_TOKEN")
	case aesKey == "":
		return nil, usageErr("the EncodingAESKey is required: --aes-key or $WXAUTH_AES_KEY")
	}
	c, err := wxcrypt.New(token, aesKey, appid)
	if err != nil {
		return nil, usageErr("--aes-key: %w", err) // a malformed key, not a failed decryption
	}
	return c, nil
}

// orEnv is v, or the environment variable name when v is empty: secrets need not go on the
// command line, where ps shows them.
func orEnv(v, name string) string {
	if v == "" {
		return os.Getenv(name)
	}
	return v
}
