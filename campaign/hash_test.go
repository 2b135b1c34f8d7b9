package campaign

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The reference vectors of XXH64: xxHash's own sanity check (xsum_sanity_check.c,
// formerly bench.c, which fills its buffer from the generator below) and the
// vectors quoted by ports of it for short strings.
func TestXXH64ReferenceVectors(t *testing.T) {
	const prime = 2654435761
	sanity := make([]byte, 101)
	g := uint32(prime)
	for i := range sanity {
		sanity[i] = byte(g >> 24)
		g *= g
	}
	tests := []struct {
		name string
		in   []byte
		seed uint64
		want uint64
	}{
		{"empty", nil, 0, 0xEF46DB3751D8E999},
		{"empty seed prime", nil, prime, 0xAC75FDA2929B17EF},
		{"empty seed 1", nil, 1, 0xD5AFBA1336A3BE4B},
		{"sanity 1", sanity[:1], 0, 0x4FCE394CC88952D8},
		{"sanity 1 seed prime", sanity[:1], prime, 0x739840CB819FA723},
		{"sanity 14", sanity[:14], 0, 0xCFFA8DB881BC3A3D},
		{"sanity 14 seed prime", sanity[:14], prime, 0x5B9611585EFCC9CB},
		{"sanity 101", sanity, 0, 0x0EAB543384F878AD},
		{"sanity 101 seed prime", sanity, prime, 0xCAA65939306F1E21},
		{"a", []byte("a"), 0, 0xD24EC4F1A98C6E5B},
		{"as", []byte("as"), 0, 0x1C330FB2D66BE179},
		{"asd", []byte("asd"), 0, 0x631C37CE72A97393},
		{"asdf", []byte("asdf"), 0, 0x415872F599CEA71E},
		{"abc", []byte("abc"), 0, 0x44BC2CF5AD770999},
		{"16 bytes", []byte("Call me Ishmael."), 0, 0x6D04390FC9D61A90},
		{"39 bytes", []byte("Nobody inspects the spammish repetition"), 0, 0xFBCEA83C8A378BF1},
		{"46 bytes", []byte("Some years ago--never mind how long precisely-"), 0, 0x8F26F2B986AFDC52},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, xxh64(tc.in, tc.seed), "got %#x want %#x", xxh64(tc.in, tc.seed), tc.want)
		})
	}
}
