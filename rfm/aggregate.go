package rfm

import (
	"hash/maphash"

	"github.com/segkit/segkit"
)

// item is one validated transaction waiting in the aggregator's batch.
type item struct {
	key string
	amt float64
	day segkit.Day
}

// batchSize is how many transactions the aggregator looks up together.
const batchSize = 32

// aggregator adds transactions to the customer table in small batches. With
// the hash index in use, a batch first touches the hash slots, then the
// accumulators, then the stored keys of all its transactions, each pass a
// run of independent loads that the processor overlaps, before processing
// the transactions in input order. Random lookups into a table of millions
// of customers are bound by cache misses; overlapping them rather than
// taking them one after another is what makes transactions in time order
// (customers interleaved) affordable.
type aggregator struct {
	tab       *custTable
	trackDays bool
	pairs     []uint64 // customer index << 32 | biased day, with trackDays
	batch     [batchSize]item
	hashes    [batchSize]uint64
	n         int
	sink      uint64 // keeps the touching loads alive
}

// push queues a transaction and reports whether the batch is full.
func (g *aggregator) push(it item) bool {
	g.batch[g.n] = it
	g.n++
	return g.n == batchSize
}

// flush adds the queued transactions in order. It fails only when the table
// is full.
func (g *aggregator) flush() error {
	t := g.tab
	b := g.batch[:g.n]
	g.n = 0
	hashed := !t.sorted
	if hashed {
		x := &t.index
		var sink uint64
		for k := range b {
			h := maphash.String(x.seed, b[k].key)
			g.hashes[k] = h
			sink += x.slots[h&x.mask]
		}
		for k := range b {
			if v := x.slots[g.hashes[k]&x.mask]; v != 0 {
				sink += uint64(len(t.at(int32(uint32(v))).key))
			}
		}
		for k := range b {
			if v := x.slots[g.hashes[k]&x.mask]; v != 0 {
				if key := t.at(int32(uint32(v))).key; key != "" {
					sink += uint64(key[0])
				}
			}
		}
		g.sink += sink
	}
	for k := range b {
		it := &b[k]
		var (
			i  int32
			ok bool
		)
		if hashed && !t.sorted {
			i, ok = t.findHashed(it.key, g.hashes[k])
		} else {
			i, ok = t.find(it.key)
		}
		if !ok {
			return &segkit.TransactionError{Model: "rfm", Pos: -1, Customer: it.key, Reason: "more than 2^31-1 customers"}
		}
		a := t.at(i)
		if it.amt < 0 {
			a.revenue += it.amt
			continue
		}
		if a.orders == 0 {
			a.first, a.last = it.day, it.day
		} else {
			a.first = min(a.first, it.day)
			a.last = max(a.last, it.day)
		}
		if g.trackDays && (a.orders == 0 || it.day != a.prev) {
			g.pairs = append(g.pairs, uint64(i)<<32|uint64(uint32(it.day)^1<<31))
			a.prev = it.day
		}
		a.orders++
		a.revenue += it.amt
	}
	return nil
}
