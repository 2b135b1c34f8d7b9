package synth

import (
	"iter"
	"sync"
	"sync/atomic"

	"github.com/segkit/segkit"
)

// Customers returns the customers in index (and key) order. Each Customer's
// slices are reused after the loop body returns (see [Customer.Clone]).
func (g *Generator) Customers() iter.Seq[Customer] {
	return func(yield func(Customer) bool) {
		g.run(0, g.cfg.Customers, needAttrs, func(r *Record) bool { return yield(r.Customer) })
	}
}

// Events returns the events of the event window, grouped by customer in key
// order and in time order within a customer: signup, login, trial_class and
// purchase (whose Value is the amount of the matching transaction).
func (g *Generator) Events() iter.Seq[segkit.Event] {
	return func(yield func(segkit.Event) bool) {
		g.run(0, g.cfg.Customers, needEvents, func(r *Record) bool {
			for _, e := range r.Events {
				if !yield(e) {
					return false
				}
			}
			return true
		})
	}
}

// Transactions returns every transaction before End (the whole history, not
// only the event window), grouped by customer in key order and in time order
// within a customer. Amounts have cents precision; Quantity is 1 and Order
// is empty.
func (g *Generator) Transactions() iter.Seq[segkit.Transaction] {
	return func(yield func(segkit.Transaction) bool) {
		g.run(0, g.cfg.Customers, needTx, func(r *Record) bool {
			for _, t := range r.Transactions {
				if !yield(t) {
					return false
				}
			}
			return true
		})
	}
}

// Records returns every customer with its events and transactions, in index
// order. The Record and its slices are reused after the loop body returns
// (see [Record.Clone]).
func (g *Generator) Records() iter.Seq[*Record] { return g.Range(0, g.cfg.Customers) }

// Range returns the records of customers lo ≤ i < hi (clamped to the
// population), in index order: the same records as the corresponding part
// of [Generator.Records], so a population can be generated in shards.
func (g *Generator) Range(lo, hi int) iter.Seq[*Record] {
	lo, hi = max(lo, 0), min(hi, g.cfg.Customers)
	return func(yield func(*Record) bool) {
		g.run(lo, hi, needAttrs|needEvents|needTx, yield)
	}
}

// Record returns customer i (0 ≤ i < Len) with its events and transactions,
// in fresh memory; it returns nil when i is out of range.
func (g *Generator) Record(i int) *Record {
	if i < 0 || i >= g.cfg.Customers {
		return nil
	}
	rec := &Record{}
	g.generate(newState(), rec, i, needAttrs|needEvents|needTx)
	return rec
}

// chunkSize is the number of customers a worker generates at a time.
const chunkSize = 1024

// chunk is a reusable buffer of generated records. The records' slices point
// into the chunk's arenas, so a chunk's memory settles at the size of a
// typical chunk instead of every slot growing to the largest customer seen.
type chunk struct {
	lo, hi int
	recs   []Record
	done   chan struct{}

	tags, interests []string
	events          []segkit.Event
	txs             []segkit.Transaction
}

// put copies r into slot j.
func (c *chunk) put(j int, r *Record) {
	dst := &c.recs[j]
	dst.Customer = r.Customer
	dst.Tags, c.tags = appendArena(c.tags, r.Tags)
	dst.Interests, c.interests = appendArena(c.interests, r.Interests)
	dst.Events, c.events = appendArena(c.events, r.Events)
	dst.Transactions, c.txs = appendArena(c.txs, r.Transactions)
}

// appendArena appends xs to arena and returns the appended part (with its
// capacity clipped, so appends to it cannot overwrite a neighbour) and the
// arena.
func appendArena[T any](arena, xs []T) (part, grown []T) {
	start := len(arena)
	arena = append(arena, xs...)
	return arena[start:len(arena):len(arena)], arena
}

func (c *chunk) reset() {
	c.tags, c.interests = c.tags[:0], c.interests[:0]
	c.events, c.txs = c.events[:0], c.txs[:0]
}

// run generates customers lo..hi−1 and calls yield for each in order until
// it returns false. With Config.Workers > 1, workers generate chunks ahead of
// the consumer into a bounded set of reusable buffers.
func (g *Generator) run(lo, hi int, what need, yield func(*Record) bool) {
	workers := g.cfg.Workers
	if workers <= 1 || hi-lo <= chunkSize {
		st, rec := newState(), &Record{}
		for i := lo; i < hi; i++ {
			g.generate(st, rec, i, what)
			if !yield(rec) {
				return
			}
		}
		return
	}

	depth := 2 * workers // chunks in flight
	free := make(chan *chunk, depth)
	for range depth {
		free <- &chunk{recs: make([]Record, chunkSize), done: make(chan struct{}, 1)}
	}
	order := make(chan *chunk, depth) // chunks in index order, as dispatched
	jobs := make(chan *chunk, depth)
	quit := make(chan struct{})
	var stopped atomic.Bool
	var wg sync.WaitGroup

	wg.Add(1)
	go func() { // dispatcher: hands out chunks in order while buffers are free
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		for start := lo; start < hi; start += chunkSize {
			var c *chunk
			select {
			case c = <-free:
			case <-quit:
				return
			}
			c.lo, c.hi = start, min(start+chunkSize, hi)
			select {
			case order <- c:
			case <-quit:
				return
			}
			jobs <- c // never blocks: at most depth chunks exist
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, scratch := newState(), &Record{}
			for c := range jobs {
				if !stopped.Load() {
					c.reset()
					for i := c.lo; i < c.hi; i++ {
						g.generate(st, scratch, i, what)
						c.put(i-c.lo, scratch)
					}
				}
				c.done <- struct{}{}
			}
		}()
	}
	defer func() {
		stopped.Store(true)
		close(quit)
		for c := range order { // release the dispatcher and the workers
			<-c.done
		}
		wg.Wait()
	}()
	for c := range order {
		<-c.done
		for j := range c.hi - c.lo {
			if !yield(&c.recs[j]) {
				return
			}
		}
		free <- c
	}
}
