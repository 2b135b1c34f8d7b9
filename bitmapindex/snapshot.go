package bitmapindex

import "hash/crc32"

// Snapshot format (all integers little-endian):
//
//	file    = magic "SEGKITIX" | version u32 | section* | end section
//	section = type u32 | length u64 | crc u32 | payload[length]
//
// crc is CRC-32C (Castagnoli) of the payload. Sections, in this order:
// meta (once), keys (once), schema (once), then any number of tag, attr,
// day and totals sections, then end (empty payload, nothing after it).
// Strings are a uvarint length and the bytes; bitmaps are roaring's
// portable format (RoaringFormatSpec), validated on read.
//
//	meta   = zone-fixed u8 | zone-name str | zone-offset i32 | strict u8 | ids u32
//	keys   = live bitmap | key str per live ID in ID order
//	schema = count uvarint | (name str | kind u8 | scale u8)*
//	tag    = name str | bitmap
//	attr   = name str | present bitmap | category, set: count uvarint | (value str | bitmap)*
//	                                   | numeric: ref u64 | 1 u8 | count uvarint | (value u64 | bitmap)*
//	                                   | numeric: ref u64 | 0 u8 | mask u64 | bitmap per set bit of mask
//	                                   | time:    ref u64 | 2 u8 | mask u64 | bitmap per set bit of mask
//	                                                      | count uvarint | (day i32 | bitmap)*   (ascending days)
//
// Numeric values are in the ordered form (int64 XOR 2^63); bit slices hold
// the bits of value XOR ref. Attributes with few distinct values are stored
// as value bitmaps, the others as bit slices; time attributes stored as bit
// slices also store their day bitmaps (layout 2; the day bitmaps of value
// bitmaps are derived on load). A time attribute in layout 0 (written
// before day bitmaps existed) is read without them and answered from its
// bit slices.
//	day    = event str | day i32 | one bitmap | count uvarint | extra bitmap*
//	totals = event str | count uvarint | (id u32 | value f64)*   (ascending IDs; version 3: the sums no occurrence
//	         holds, read from a version-1 snapshot; version 2: each customer's whole sum of values)
//	block  = event str | block i32 | count uvarint | cnt bitmap*   (bit slices of the counts; versions 1 and 2 only)
//	first  = event str | day i32 | bitmap
//
// What is kept: keys of live customers and the ID count (deleted IDs are
// never reused after a load), tags, the schema and every attribute value,
// per event and day who did it and how often, per event and customer the
// sum of recorded values (in memory only the part no occurrence holds, from
// a version-1 snapshot, is kept: the rest is the columns' values), and
// each day's first occurrences (its customers without an earlier
// occurrence), which are costly to recompute, so they are stored,
// protected by the checksums like everything else, and checked against the
// days on load. Versions 1 and 2 also stored the 16-day block counters,
// checked on load and then dropped; version 3 stores none: the block
// unions are derived from the days on load, and a counter is built from
// its days when a query first needs one.
//
// Every count and cross-reference is validated on load, so a snapshot with
// valid checksums but inconsistent content is rejected: the live bitmap is
// within the ID count and has one key per member, every other bitmap holds
// live customers only (value, bit-slice and day bitmaps within the
// attribute's present customers, partitioning them where values are
// single), event counters and first occurrences agree with the day bitmaps,
// and values belong to customers with occurrences. An ID count may exceed
// the live customers (deleted IDs are never reused); writes that would need
// an ID beyond the last one fail with ErrIDsExhausted.

const (
	snapMagic = "SEGKITIX"
	// 3: no block sections (the unions are derived from the days and the
	// counters built on first use); 2: event values and properties
	// (eventcols_snap.go). 1 and 2 still load.
	snapVersion = 3
)

// snapWriteVersion is the version WriteTo writes: tests write version 2
// (with its block counters) to exercise its reader.
var snapWriteVersion uint32 = snapVersion

const (
	secEnd uint32 = iota
	secMeta
	secKeys
	secSchema
	secTag
	secAttr
	secDay
	secTotals
	secBlock
	secFirst
	secProps  // eventcols_snap.go
	secOcc    // eventcols_snap.go
	secEvDecl // eventdecl.go
)

// maxTotalsPerSection bounds the entries of one totals section.
const maxTotalsPerSection = 1 << 16

var crcTable = crc32.MakeTable(crc32.Castagnoli)
