package password

import (
	"errors"
	"strings"
	"testing"
)

// fast keeps the tests quick under the race detector; Default is exercised once.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery staple", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Fatalf("hash %q", h)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		ok, err := Verify(pw, h)
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := Hash("correct horse battery staple", Default)
	if h2 == h {
		t.Fatal("two hashes of one password must differ by their salt")
	}
}

func TestParseRoundTrip(t *testing.T) {
	h, err := Hash("Жанаозен 2011", fast)
	if err != nil {
		t.Fatal(err)
	}
	p, salt, hash, err := Parse(h)
	if err != nil {
		t.Fatal(err)
	}
	if p != fast || len(salt) != 16 || len(hash) != 32 {
		t.Fatalf("parsed %+v, %d-byte salt, %d-byte hash", p, len(salt), len(hash))
	}
	if Encode(p, salt, hash) != h {
		t.Fatal("Encode(Parse(h)) != h")
	}
	if ok, err := Verify("Жанаозен 2011", h); !ok || err != nil {
		t.Fatalf("verify with the parsed params: %v %v", ok, err)
	}
}

func TestParseRefuses(t *testing.T) {
	const salt, hash = "c29tZXNhbHRzb21lc2FsdA", "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	for _, s := range []string{
		"",
		"plain text",
		"$argon2i$v=19$m=65536,t=3,p=4$" + salt + "$" + hash,  // not argon2id
		"$argon2id$v=16$m=65536,t=3,p=4$" + salt + "$" + hash, // old version
		"$argon2id$m=65536,t=3,p=4$" + salt + "$" + hash,      // no version
		"$argon2id$v=19$m=65536,t=3$" + salt + "$" + hash,     // no p
		"$argon2id$v=19$m=65536,t=3,p=4,x=1$" + salt + "$" + hash,
		"$argon2id$v=19$m=65536,m=1,t=3,p=4$" + salt + "$" + hash,
		"$argon2id$v=19$m=65536,t=0,p=4$" + salt + "$" + hash,
		"$argon2id$v=19$m=4294967295,t=3,p=4$" + salt + "$" + hash, // 4 TiB
		"$argon2id$v=19$m=65536,t=1000,p=4$" + salt + "$" + hash,
		"$argon2id$v=19$m=65536,t=3,p=256$" + salt + "$" + hash,
		"$argon2id$v=19$m=65536,t=-3,p=4$" + salt + "$" + hash,
		"$argon2id$v=19$m=065536,t=3,p=4$" + salt + "$" + hash,
		"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "=$" + hash, // padded
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$" + hash,        // 4-byte salt
		"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$aGFzaA",   // 4-byte hash
		"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + hash + "$",
	} {
		if _, _, _, err := Parse(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", s, err)
		}
		if ok, err := Verify("x", s); ok || err == nil {
			t.Errorf("Verify against %q = %v, %v", s, ok, err)
		}
	}
}

func TestCheckAndGenerate(t *testing.T) {
	if Check("short") == nil || Check(strings.Repeat("x", MaxLength+1)) == nil || Check("twelve chars") != nil {
		t.Fatal("Check bounds")
	}
	a, b := Generate(), Generate()
	if a == b || len(a) != 26 || Check(a) != nil {
		t.Fatalf("generated %q %q", a, b)
	}
}

func FuzzParse(f *testing.F) {
	h, _ := Hash("x", fast)
	f.Add(h)
	f.Add("$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, hash, err := Parse(s)
		if err != nil {
			return
		}
		if p.Memory > maxMemory || p.Time > maxTime || p.Threads == 0 {
			t.Fatalf("accepted out-of-range params %+v", p)
		}
		if _, _, _, err := Parse(Encode(p, salt, hash)); err != nil {
			t.Fatalf("re-encoding %q fails to parse: %v", s, err)
		}
	})
}
