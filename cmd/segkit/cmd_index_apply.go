package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/dataio"
)

// indexApplyCmd applies customer and event changes to a durable index
// directory in batches.
type indexApplyCmd struct {
	index, customers, events string
	batch                    int
	progress                 bool
}

func (*indexApplyCmd) doc() doc {
	return doc{
		name:    "index apply",
		summary: "apply customer changes and events to a durable index directory, in logged batches",
		usage:   "--index DIR --customers FILE [--events FILE] [--batch N]",
		example: "segkit index apply --index crm.index --customers changes.jsonl --events today.jsonl",
	}
}

func (c *indexApplyCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.index, "index", "", "durable index `DIR` (written by 'segkit index build --durable')")
	fs.StringVar(&c.customers, "customers", "", "customers `FILE` (JSON Lines): new customers are added, listed tags added, listed attributes set")
	fs.StringVar(&c.events, "events", "", "events `FILE` (JSON Lines) to record, optional")
	fs.IntVar(&c.batch, "batch", 10_000, "records per committed batch")
	fs.BoolVar(&c.progress, "progress", false, "report progress on stderr even when it is not a terminal")
}

func (c *indexApplyCmd) run(ctx context.Context, e *env, args []string) (err error) {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if c.index == "" {
		return usagef("--index DIR is required")
	}
	if c.customers == "" && c.events == "" {
		return usagef("nothing to apply: give --customers FILE and/or --events FILE")
	}
	if c.batch < 1 {
		return usagef("--batch must be at least 1")
	}
	if !isDir(c.index) {
		return fmt.Errorf("%s is not an index directory (create one with 'segkit index build --durable --out %s')", c.index, c.index)
	}
	p := newProgress(e, c.progress)
	start := time.Now()
	ix, err := bitmapindex.Open(c.index, bitmapindex.Config{CheckpointLogBytes: 256 << 20})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ix.Close(); err == nil {
			err = cerr
		}
	}()
	if rep, _ := ix.Recovery(); rep.Truncated {
		fmt.Fprintf(e.stderr, "segkit: %s: recovered from a crash: %d bytes of an unfinished write removed from %s\n", c.index, rep.TruncatedBytes, rep.TruncatedFile)
	}
	p.printf("opened %s: %d customers in %v", c.index, ix.Len(), time.Since(start).Round(time.Millisecond))
	var customers, events, batches int
	b := ix.NewBatch()
	n := 0 // records in b
	flush := func(what string, done int) error {
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.Commit(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		batches++
		st, _ := ix.LogStats()
		p.printf("%s: %d applied, %s committed (log %s)", what, done, count(batches, "batch", "batches"), humanBytes(st.LogBytes))
		b, n = ix.NewBatch(), 0
		return nil
	}
	if c.customers != "" {
		f, err := os.Open(c.customers)
		if err != nil {
			return err
		}
		defer f.Close()
		// values are read with the index's kinds and time zone
		schema := &dataio.Schema{Location: ix.Location(), Attributes: ix.Schema()}
		if len(schema.Attributes) == 0 {
			schema = nil
		}
		cr := dataio.NewCustomerReader(c.customers, f, schema)
		for cu, err := range cr.All() {
			if err != nil {
				return err
			}
			b.Add(cu.ID)
			for _, t := range cu.Tags {
				b.AddTag(cu.ID, t)
			}
			for name, v := range cu.Attrs {
				b.Set(cu.ID, name, v)
			}
			customers++
			if n++; n >= c.batch {
				if err := flush(c.customers, customers); err != nil {
					return err
				}
			}
		}
		if err := flush(c.customers, customers); err != nil {
			return err
		}
	}
	if c.events != "" {
		f, err := os.Open(c.events)
		if err != nil {
			return err
		}
		defer f.Close()
		for ev, err := range dataio.ReadEvents(c.events, f, ix.Location()) {
			if err != nil {
				return err
			}
			b.Record(ev.Customer, ev.Name, ev.At, ev.Value)
			events++
			if n++; n >= c.batch {
				if err := flush(c.events, events); err != nil {
					return err
				}
			}
		}
		if err := flush(c.events, events); err != nil {
			return err
		}
	}
	st, _ := ix.LogStats()
	fmt.Fprintf(e.stdout, "applied %s and %s to %s in %s (%s; log %s after checkpoint %d)\n",
		count(customers, "customer record", "customer records"), count(events, "event", "events"), c.index,
		count(batches, "batch", "batches"), count(ix.Len(), "customer", "customers"), humanBytes(st.LogBytes), st.CheckpointSeq)
	return nil
}

// count formats n with the singular or plural noun.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// isDir reports whether path is a directory (a durable index) rather than a
// snapshot file.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// durableStats is what 'index stats' adds for a durable index directory.
type durableStats struct {
	Bytes          int64     `json:"bytes"`   // log segments after the checkpoint
	Records        int       `json:"records"` // batches logged after it
	LastSeq        uint64    `json:"last_seq"`
	Checkpoint     string    `json:"checkpoint"`
	CheckpointSeq  uint64    `json:"checkpoint_seq"`
	CheckpointTime time.Time `json:"checkpoint_time"`
	TornBytes      int64     `json:"torn_bytes,omitempty"` // an unfinished write at the end
}

func durableStatsOf(r bitmapindex.RecoveryReport) durableStats {
	d := durableStats{Bytes: r.LogBytes, Records: r.Replayed, LastSeq: r.LastSeq,
		Checkpoint: r.Checkpoint, CheckpointSeq: r.CheckpointSeq, CheckpointTime: r.CheckpointTime.UTC()}
	if r.Truncated {
		d.TornBytes = r.TruncatedBytes
	}
	return d
}

func writeDurableStats(e *env, r bitmapindex.RecoveryReport) error {
	d := durableStatsOf(r)
	fmt.Fprintf(e.stdout, "log         %s, %s after the checkpoint (last sequence number %d)\n", humanBytes(d.Bytes), count(d.Records, "batch", "batches"), d.LastSeq)
	fmt.Fprintf(e.stdout, "checkpoint  %s (sequence number %d), written %s\n", d.Checkpoint, d.CheckpointSeq, d.CheckpointTime.Format(time.RFC3339))
	if d.TornBytes > 0 {
		fmt.Fprintf(e.stdout, "torn tail   %d bytes (an unfinished write; the next 'index apply' removes it)\n", d.TornBytes)
	}
	return nil
}
