package storage

import "testing"

// BenchmarkSealOpen is the CPU cost of sealing and opening one 160-byte token (the size of an
// authorizer access token), to set against a refresh's database write (BenchmarkRefreshWrite):
//
//	go test -run '^$' -bench SealOpen ./storage/
func BenchmarkSealOpen(b *testing.B) {
	k, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	s, err := newSealer(k)
	if err != nil {
		b.Fatal(err)
	}
	tok := string(make([]byte, 160))
	for b.Loop() {
		v := s.seal("authorizers", "access_token", tok)
		if _, err := s.open("authorizers", "access_token", v); err != nil {
			b.Fatal(err)
		}
	}
}
