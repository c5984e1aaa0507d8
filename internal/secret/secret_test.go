package secret

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func mustBox(t *testing.T) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := mustBox(t)
	msg := []byte("JBSWY3DPEHPK3PXP")
	s1, err := b.Seal(msg, []byte("member:1"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal(msg, []byte("member:1"))
	if bytes.Equal(s1, s2) || bytes.Contains(s1, msg) {
		t.Fatal("sealing must use a fresh nonce and hide the plaintext")
	}
	got, err := b.Open(s1, []byte("member:1"))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(s1, []byte("member:2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("other additional data: %v", err)
	}
	tampered := bytes.Clone(s1)
	tampered[len(tampered)-1] ^= 1
	if _, err := b.Open(tampered, []byte("member:1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered: %v", err)
	}
	for _, short := range [][]byte{nil, {1}, s1[:20]} {
		if _, err := b.Open(short, nil); !errors.Is(err, ErrOpen) {
			t.Fatalf("short %x: %v", short, err)
		}
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(s1, []byte("member:1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("other key: %v", err)
	}
}

func TestKeys(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key must be refused")
	}
	raw := make([]byte, KeySize)
	rand.Read(raw)
	for _, s := range []string{base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw), " " + base64.StdEncoding.EncodeToString(raw) + "\n"} {
		k, err := ParseKey(s)
		if err != nil || !bytes.Equal(k, raw) {
			t.Fatalf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(raw[:31])} {
		if _, err := ParseKey(s); err == nil {
			t.Fatalf("ParseKey(%q) accepted", s)
		}
	}
}
