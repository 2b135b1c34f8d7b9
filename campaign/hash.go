package campaign

import "math/bits"

// XXH64 as specified in xxHash's doc/xxhash_spec.md (version 0.1.1), written
// here so that the split needs no dependency. It is the hash ClickHouse calls
// xxHash64 and Python's xxhash.xxh64, so an assignment can be reproduced
// outside Go (see [Splitter]).
const (
	prime64v1 uint64 = 0x9E3779B185EBCA87
	prime64v2 uint64 = 0xC2B2AE3D27D4EB4F
	prime64v3 uint64 = 0x165667B19E3779F9
	prime64v4 uint64 = 0x85EBCA77C2B2AE63
	prime64v5 uint64 = 0x27D4EB2F165667C5
)

func xxhRound(acc, lane uint64) uint64 {
	acc += lane * prime64v2
	acc = bits.RotateLeft64(acc, 31)
	return acc * prime64v1
}

func xxhMerge(acc, val uint64) uint64 {
	acc ^= xxhRound(0, val)
	return acc*prime64v1 + prime64v4
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// xxh64 returns XXH64(b, seed).
func xxh64(b []byte, seed uint64) uint64 {
	n := len(b)
	var h uint64
	if n >= 32 {
		v1 := seed + prime64v1 + prime64v2
		v2 := seed + prime64v2
		v3 := seed
		v4 := seed - prime64v1
		for len(b) >= 32 {
			v1 = xxhRound(v1, le64(b[0:8]))
			v2 = xxhRound(v2, le64(b[8:16]))
			v3 = xxhRound(v3, le64(b[16:24]))
			v4 = xxhRound(v4, le64(b[24:32]))
			b = b[32:]
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) +
			bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = xxhMerge(h, v1)
		h = xxhMerge(h, v2)
		h = xxhMerge(h, v3)
		h = xxhMerge(h, v4)
	} else {
		h = seed + prime64v5
	}
	h += uint64(n)
	for len(b) >= 8 {
		h ^= xxhRound(0, le64(b[:8]))
		h = bits.RotateLeft64(h, 27)*prime64v1 + prime64v4
		b = b[8:]
	}
	if len(b) >= 4 {
		h ^= uint64(le32(b[:4])) * prime64v1
		h = bits.RotateLeft64(h, 23)*prime64v2 + prime64v3
		b = b[4:]
	}
	for _, c := range b {
		h ^= uint64(c) * prime64v5
		h = bits.RotateLeft64(h, 11) * prime64v1
	}
	h ^= h >> 33
	h *= prime64v2
	h ^= h >> 29
	h *= prime64v3
	h ^= h >> 32
	return h
}
