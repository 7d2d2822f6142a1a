package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"wxauth/core/flow"
)

// Secrets (the AppSecret, the Token, the EncodingAESKey) reach a command without showing in
// ps or the shell history: from the environment, from a file (--X-file, "-" for stdin), from a
// hidden prompt on a terminal, or from stdin. The Token and the key also have value flags,
// kept for compatibility; their help says that they show in ps.

// secretInput is one secret a command may be given.
type secretInput struct {
	label   string // "Token (消息校验Token)"
	field   string // the flow.Field… it sets
	flag    string // the value flag ("" for the AppSecret, which has none)
	env     string // e.g. WXAUTH_TOKEN
	value   string // the value flag's value
	file    string // --X-file's value
	fileSet string // the name of the file flag, e.g. token-file
}

// The secrets a platform has, each a fresh input for one command's flags.
func tokenInput() *secretInput {
	return &secretInput{label: "Token (消息校验Token)", field: flow.FieldToken, flag: "token", env: "WXAUTH_TOKEN", fileSet: "token-file"}
}

func aesKeyInput() *secretInput {
	return &secretInput{label: "EncodingAESKey (消息加解密Key)", field: flow.FieldAESKey, flag: "aes-key", env: "WXAUTH_AES_KEY", fileSet: "aes-key-file"}
}

func appSecretInput() *secretInput {
	return &secretInput{label: "AppSecret (开发资料)", field: flow.FieldAppSecret, env: "WXAUTH_APPSECRET", fileSet: "appsecret-file"}
}

// sources names where the secret may come from, for help and error messages.
func (s *secretInput) sources() string {
	if s.flag == "" {
		return "$" + s.env + " or --" + s.fileSet
	}
	return "$" + s.env + ", --" + s.fileSet + " or --" + s.flag
}

// addFlags declares the secret's flags on cmd.
func (s *secretInput) addFlags(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	if s.flag != "" {
		f.StringVar(&s.value, s.flag, "", what+": shows in ps and the shell history, prefer $"+s.env+" or --"+s.fileSet)
	}
	f.StringVar(&s.file, s.fileSet, "", "read the "+s.label+" from this file (owner-only, e.g. mode 600; - reads stdin's first line)")
}

// stdinReader hands out stdin's lines: one bufio.Reader, so that no line is lost to another's
// buffer.
type stdinReader struct {
	in    io.Reader
	lines *bufio.Reader
	taken string // the file flag that took stdin through "-"
	ended bool   // stdin reached its end
}

// line reads the next line, trimmed ("" once stdin has ended).
func (r *stdinReader) line() (string, error) {
	if r.lines == nil {
		r.lines = bufio.NewReader(r.in)
	}
	s, err := r.lines.ReadString('\n')
	if errors.Is(err, io.EOF) {
		r.ended, err = true, nil
	}
	return strings.TrimSpace(s), err
}

// resolve returns the secret and whether it was given (flag, file or environment).
func (a *app) resolveSecret(cmd *cobra.Command, s *secretInput, stdin *stdinReader) (string, bool, error) {
	flagSet := s.flag != "" && cmd.Flags().Changed(s.flag)
	fileSet := cmd.Flags().Changed(s.fileSet)
	switch {
	case flagSet && fileSet:
		return "", false, usageErr("give --%s or --%s, not both", s.flag, s.fileSet)
	case flagSet:
		return s.value, true, nil
	case fileSet:
		v, err := a.readSecretFile(s, stdin)
		return v, true, err
	}
	if v := strings.TrimSpace(os.Getenv(s.env)); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// readSecretFile reads the secret from --X-file: the file's first line, or stdin's for "-".
// A file others can read is used, with a warning: the secret is worth an owner-only file.
func (a *app) readSecretFile(s *secretInput, stdin *stdinReader) (string, error) {
	if s.file == "-" {
		if stdin.taken != "" {
			return "", usageErr("--%s - and --%s - both read stdin: give one of them a file", stdin.taken, s.fileSet)
		}
		stdin.taken = s.fileSet
		v, err := stdin.line()
		if err != nil {
			return "", withCode(ExitFailure, fmt.Errorf("reading the %s from stdin: %w", s.label, err))
		}
		return v, nil
	}
	st, err := os.Stat(s.file)
	if err != nil {
		return "", usageErr("--%s: %v", s.fileSet, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		fmt.Fprintf(a.err, "wxauth: warning: %s holds a secret but others can read it (mode %04o); make it owner-only: chmod 600 %s\n", s.file, perm, s.file)
	}
	data, err := os.ReadFile(s.file)
	if err != nil {
		return "", usageErr("--%s: %v", s.fileSet, err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(first), nil
}

// promptValid asks on the terminal until the value passes the field's check: the reason is
// shown and the question asked again. hidden turns echo off (secrets).
func (a *app) promptValid(fd int, stdin *stdinReader, label, field string, hidden bool, p *flow.Platform, dst *string) error {
	for {
		fmt.Fprintf(a.err, "%s: ", label)
		var v string
		if hidden {
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(a.err)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("reading %s: %w", label, err))
			}
			v = strings.TrimSpace(string(b))
		} else {
			s, err := stdin.line()
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("reading %s: %w", label, err))
			}
			v = s
		}
		*dst = v
		err := flow.ValidateField(p, field)
		var fe *flow.FieldError
		if !errors.As(err, &fe) {
			return err
		}
		if !hidden && stdin.ended {
			return usageErr("invalid %s: %s", fe.Field, fe.Reason) // nothing more will be typed
		}
		fmt.Fprintf(a.err, "  ✗ %s %s; try again\n", fe.Field, fe.Reason)
	}
}
