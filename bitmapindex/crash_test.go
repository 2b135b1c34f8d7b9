//go:build linux || darwin

package bitmapindex

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/require"
)

// The crash tests run this test binary again as a child process that opens
// an index directory and commits numbered batches, printing each number
// once Commit has returned; the parent kills it with SIGKILL at a random
// moment, reopens the directory and checks that every acknowledged batch
// is there, that no batch is there in part (the batches touch several
// customers each and the check compares everything), and that the index
// equals a map model of the batches 1..K, where K, the last batch present,
// is the last acknowledged one or the one after it (committed, but killed
// before it could print).
//
// SEGKIT_CRASH_TRIALS sets the number of trials (default 50 for commits,
// 50 for checkpoints).

const (
	crashKeys    = 120
	envCrashDir  = "SEGKIT_CRASH_DIR"
	envCrashMode = "SEGKIT_CRASH_MODE"
)

func crashConfig() Config {
	return Config{Location: time.UTC, Schema: append(append([]Attribute(nil), genAttrs...), Attribute{Name: "batch", Kind: KindInt})}
}

// crashBatch returns the writes of batch i: several customers each get a
// few tags, attributes and events (some with a value and a property), and
// "meta" records the batch number.
func crashBatch(i int) []op {
	r := randSource(uint64(i)*7919 + 17)
	var ops []op
	for range 3 + r.IntN(6) {
		key := fmt.Sprintf("k%03d", r.IntN(crashKeys))
		for range 1 + r.IntN(5) {
			switch r.IntN(12) {
			case 0:
				if r.IntN(3) == 0 {
					ops = append(ops, op{kind: opDelete, key: key})
				} else {
					ops = append(ops, op{kind: opAdd, key: key})
				}
			case 1, 2:
				ops = append(ops, op{kind: opTag, key: key, name: genTags[r.IntN(len(genTags))]})
			case 3:
				ops = append(ops, op{kind: opUntag, key: key, name: genTags[r.IntN(len(genTags))]})
			case 4, 5, 6:
				a := genAttrs[r.IntN(len(genAttrs))]
				ops = append(ops, op{kind: opSet, key: key, name: a.Name, v: genValue(r, a)})
			case 7:
				ops = append(ops, op{kind: opClear, key: key, name: genAttrs[r.IntN(len(genAttrs))].Name})
			case 8:
				// an event with a value and a property (RecordEvent)
				at := baseTime.Add(time.Duration(r.IntN(90*24)-45*24) * time.Hour)
				o := recOp(key, "order", segkit.DayOf(at, time.UTC), float64(r.IntN(100000))/100)
				o.kind, o.v.s = opRecordEvent, []string{"app", "web", "store"}[r.IntN(3)]
				ops = append(ops, o)
			default:
				at := baseTime.Add(time.Duration(r.IntN(90*24)-45*24) * time.Hour)
				ops = append(ops, recOp(key, genEvents[r.IntN(len(genEvents))], segkit.DayOf(at, time.UTC), float64(r.IntN(400))/4))
			}
		}
	}
	return append(ops, op{kind: opSet, key: "meta", name: "batch", v: Int(int64(i))})
}

// lastBatch returns the number of the last batch in the index (0: none).
func lastBatch(v *View) int {
	p, ok := v.Profile("meta")
	if !ok {
		return 0
	}
	n, _ := p.Attrs["batch"].AsInt()
	return int(n)
}

// TestCrashChild is the child process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("the crash tests' child process")
	}
	mode := os.Getenv(envCrashMode)
	if point, ok := strings.CutPrefix(mode, "hook:"); ok {
		// kill this process at the n-th time it reaches the point
		name, nth, _ := strings.Cut(point, "@")
		n, _ := strconv.Atoi(nth)
		var mu sync.Mutex
		testHook = func(p string) {
			if p != name {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if n--; n <= 0 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	cfg := crashConfig()
	if mode == "interval" {
		cfg.Sync = SyncInterval(5 * time.Millisecond)
	}
	ix, err := Open(dir, cfg)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "open")
	out.Flush()
	if mode != "commit" && mode != "interval" {
		go func() {
			for {
				if err := ix.Checkpoint(); err != nil {
					fmt.Println("error", err)
					os.Exit(3)
				}
			}
		}()
	}
	for i := lastBatch(ix.View()) + 1; ; i++ {
		b := ix.NewBatch()
		for _, o := range crashBatch(i) {
			addToBatch(b, o)
		}
		if err := b.Commit(); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Fprintln(out, i)
		out.Flush()
	}
}

func crashTrials(def int) int {
	if s := os.Getenv("SEGKIT_CRASH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err == nil && n > 0 {
			return n
		}
	}
	if testing.Short() {
		return def / 5
	}
	return def
}

// crashRun runs trials of a child in mode (a function of the trial) against
// one directory, checking it after each kill.
func crashRun(t *testing.T, trials int, mode func(r *rand.Rand, trial int) string) {
	if os.Getenv(envCrashDir) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	m := newModel(crashConfig())
	details := orderDetails{}
	applied := 0
	h := &harness{t: t, r: randSource(1)}
	torn, killedInOpen := 0, 0
	start := time.Now()
	for trial := range trials {
		md := mode(r, trial)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashMode+"="+md)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// kill during Open sometimes, else some time after it
		var killAt <-chan time.Time
		early := r.IntN(10) == 0
		if early {
			killAt = time.After(time.Duration(r.IntN(30)) * time.Millisecond)
		}
		acked, opened, errLine := applied, false, ""
	wait:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break wait // the child died (a hook killed it)
				}
				switch {
				case l == "open":
					opened = true
					if !early {
						killAt = time.After(time.Duration(r.IntN(120_000)) * time.Microsecond)
					}
				case strings.HasPrefix(l, "error"):
					errLine = l
				default:
					if n, err := strconv.Atoi(l); err == nil {
						acked = n
					}
				}
			case <-killAt:
				cmd.Process.Kill()
				killAt = nil
			}
		}
		err = cmd.Wait()
		require.Empty(t, errLine, "trial %d (%s): the child failed", trial, md)
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "trial %d (%s): child ended with %v, not by SIGKILL", trial, md, err)
		if !opened {
			killedInOpen++
		}

		ix, err := Open(dir, crashConfig())
		require.NoError(t, err, "trial %d (%s): reopen after the kill", trial, md)
		rep, _ := ix.Recovery()
		if rep.Truncated {
			torn++
		}
		v := ix.View()
		k := lastBatch(v)
		require.GreaterOrEqual(t, k, acked, "trial %d (%s): batch %d was acknowledged but the index ends at %d (%v)", trial, md, acked, k, rep)
		require.LessOrEqual(t, k, acked+1, "trial %d (%s): batches after the one in flight are present", trial, md)
		for ; applied < k; applied++ {
			ops := crashBatch(applied + 1)
			require.True(t, m.applyBatch(ops))
			details.apply(ops)
		}
		if trial%10 == 9 || trial == trials-1 {
			h.check(v, m) // every query path against the model
		} else {
			checkProfiles(t, v, m) // every stored value against the model
		}
		details.check(t, v)
		if trial%5 == 4 {
			// keep the log short (every child replays it), and crash
			// later children on top of a checkpoint made here
			require.NoError(t, ix.Checkpoint())
		}
		require.NoError(t, ix.Close())
	}
	t.Logf("%d trials in %v: %d batches acknowledged and recovered, %d torn log tails truncated, %d kills during Open",
		trials, time.Since(start).Round(time.Millisecond), applied, torn, killedInOpen)
}

func TestCrashDuringCommits(t *testing.T) {
	crashRun(t, crashTrials(50), func(r *rand.Rand, trial int) string {
		if trial%5 == 4 {
			return "interval"
		}
		return "commit"
	})
}

// checkpointPoints are the steps where the hook kills the child.
var checkpointPoints = []string{
	"checkpoint-rotated", "checkpoint-temp-synced", "checkpoint-renamed",
	"checkpoint-written", "checkpoint-retired-one", "checkpoint-done", "log-sync",
}

func TestCrashDuringCheckpoints(t *testing.T) {
	crashRun(t, crashTrials(50), func(r *rand.Rand, trial int) string {
		if trial%2 == 0 {
			// a checkpointer runs without pause: kills land in every step
			return "checkpoint"
		}
		p := checkpointPoints[(trial/2)%len(checkpointPoints)]
		return fmt.Sprintf("hook:%s@%d", p, 1+r.IntN(20))
	})
}

// orderDetails is the model of the "order" events' values and properties:
// per customer, "day amount channel" of each occurrence.
type orderDetails map[string][]string

func (d orderDetails) apply(ops []op) {
	for _, o := range ops {
		switch o.kind {
		case opDelete:
			delete(d, o.key)
		case opRecordEvent:
			a, _ := AmountFromFloat(o.f())
			d[o.key] = append(d[o.key], fmt.Sprintf("%d %s %s", o.day(), a, o.v.s))
		}
	}
}

func (d orderDetails) check(t *testing.T, v *View) {
	for key := range v.All().Keys() {
		p, _ := v.Profile(key)
		var got []string
		for i, det := range p.Details["order"] {
			got = append(got, fmt.Sprintf("%d %s %s", segkit.DayOf(p.Events["order"][i], time.UTC), det.Value, det.Props["channel"]))
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(d[key]))
		require.Equal(t, want, got, "order details of %s", key)
	}
}

// checkProfiles compares the customers, their IDs and everything stored
// about them (tags, attribute values, event days and sums) with the model:
// the data a crash could lose or tear, without h.check's walk over every
// query form (which runs every tenth trial).
func checkProfiles(t *testing.T, v *View, m *model) {
	require.Equal(t, len(m.cust), v.Len())
	require.Equal(t, sortedSchema(m.schema), v.Schema())
	for key, c := range m.cust {
		id, ok := v.ID(key)
		require.True(t, ok, key)
		require.Equal(t, c.id, id, "ID of %q", key)
		p, _ := v.Profile(key)
		tags := map[string]bool{}
		for tg := range c.tags {
			tags[tg] = true
		}
		require.Equal(t, tags, p.Tags, key)
		require.Len(t, p.Attrs, len(c.attrs), key)
		for name, want := range c.attrs {
			require.Equal(t, norm(m.schema[name], want), norm(m.schema[name], p.Attrs[name]), "%s.%s", key, name)
		}
		require.Len(t, p.Events, len(c.events), key)
		for e, days := range c.events {
			want := slices.Sorted(slices.Values(days))
			var got []segkit.Day
			for _, at := range p.Events[e] {
				got = append(got, segkit.DayOf(at, v.Location()))
			}
			require.Equal(t, want, got, "%s events %s", key, e)
			sum, _ := v.EventSum(e, key)
			require.InDelta(t, c.sums[e], sum, 1e-6)
		}
	}
}
