//go:build linux || darwin

package segment

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/require"
)

// The restart tests run this test binary again as a child process: a host
// with a durable index and a durable Watcher that, step after step, moves
// its time, commits a random batch, syncs the Watcher and acts on the
// changes (appends them to an output file, its acknowledged cursor being
// the last Seq there). The parent kills it with SIGKILL, at a random moment
// or at a chosen point (after a commit before the Sync, after the Sync
// before the changes are consumed, in the middle of the Watcher's log
// record or of its checkpoint, in the middle of the acknowledgement), and
// starts it again, which resumes from the output file's cursor. In the end
// the output must hold every change exactly once: consecutive Seqs, each
// entry of a customer who was not a member, each exit of one who was, and
// the final membership equal to a full evaluation of the recovered index.
//
// SEGKIT_WATCH_CRASH_TRIALS sets the number of kills (default 12, 4 with
// -short).

const (
	envWatchCrashDir  = "SEGKIT_WATCH_CRASH_DIR"
	envWatchCrashMode = "SEGKIT_WATCH_CRASH_MODE"
)

var watchCrashBase = time.Date(2025, 6, 15, 9, 30, 0, 0, time.UTC)

// watchCrashNow is the time of step i: 7 hours a step, over day edges.
func watchCrashNow(i int) time.Time { return watchCrashBase.Add(time.Duration(i) * 7 * time.Hour) }

func watchCrashKeys() []string {
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = fmt.Sprintf("c%03d", i)
	}
	return keys
}

// watchCrashRegistry: random rules of every form with references, the same
// in every process.
func watchCrashRegistry(t testing.TB) *Registry {
	reg := NewRegistry()
	rng := rand.New(rand.NewPCG(77, 78))
	g := &ruleGen{rng: rng, now: watchCrashBase}
	defs := []Definition{
		{Name: "adults", Rule: `age >= 30 || has("t1")`},
		{Name: "recent", Rule: `inSegment("adults") && didWithin("login", "3d")`},
		{Name: "lapsed", Rule: `daysSince(last_login) > 5`},
	}
	for i := range 5 {
		src := g.rule(2)
		if i > 0 {
			src = fmt.Sprintf("(%s) || inSegment(\"r%d\")", src, i-1)
		}
		defs = append(defs, Definition{Name: fmt.Sprintf("r%d", i), Rule: src})
	}
	require.NoError(t, reg.DefineAll(defs...))
	return reg
}

func watchCrashOpen(t testing.TB, dir string) (*bitmapindex.Index, *Watcher) {
	schema := append(append([]bitmapindex.Attribute(nil), testSchema...), bitmapindex.Attribute{Name: "batch", Kind: bitmapindex.KindInt})
	ix, err := bitmapindex.Open(filepath.Join(dir, "index"), bitmapindex.Config{Location: time.UTC, Schema: schema})
	require.NoError(t, err)
	w, err := OpenWatcher(context.Background(), watchCrashRegistry(t), ix, filepath.Join(dir, "index", "watch"), watchCrashNow(0))
	require.NoError(t, err)
	return ix, w
}

// readAcked returns the changes in the output file, cutting off a torn last
// line (an acknowledgement the kill interrupted: not acknowledged).
func readAcked(t testing.TB, path string) []string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1]
		require.NoError(t, os.Truncate(path, int64(len(data))))
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[:strings.Count(string(data), "\n")]
}

func ackedCursor(t testing.TB, lines []string) uint64 {
	if len(lines) == 0 {
		return 0
	}
	seq, err := strconv.ParseUint(strings.Fields(lines[len(lines)-1])[0], 10, 64)
	require.NoError(t, err)
	return seq
}

func formatChanges(cs []Change) []byte {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "%d %s %s %s\n", c.Seq, c.Segment, c.Key, c.Kind)
	}
	return b.Bytes()
}

// TestWatcherRestartChild is the child process; it does nothing in a
// normal run.
func TestWatcherRestartChild(t *testing.T) {
	dir := os.Getenv(envWatchCrashDir)
	if dir == "" {
		t.Skip("the restart tests' child process")
	}
	point, n := "", 0
	if p, ok := strings.CutPrefix(os.Getenv(envWatchCrashMode), "at:"); ok {
		name, nth, _ := strings.Cut(p, "@")
		point, n = name, must(strconv.Atoi(nth))
	}
	kill := func(p string) {
		if p == point {
			if n--; n <= 0 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	watchHook = kill
	ctx := context.Background()
	ix, w := watchCrashOpen(t, dir)
	outPath := filepath.Join(dir, "acked")
	cursor := ackedCursor(t, readAcked(t, outPath))
	sub, err := w.SubscribeFrom(cursor, 1<<20)
	require.NoError(t, err)
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	ack := func() {
		cs, err := sub.Next(0)
		require.NoError(t, err)
		b := formatChanges(cs)
		if len(b) > 1 && point == "ack" {
			_, err = out.Write(b[:len(b)/2])
			require.NoError(t, err)
			kill("ack")
			b = b[len(b)/2:]
		}
		_, err = out.Write(b)
		require.NoError(t, err)
		if len(cs) > 0 {
			require.NoError(t, w.Compact(cs[len(cs)-1].Seq))
		}
	}
	ack() // what the Watcher logged after the cursor, and its catch-up
	fmt.Println("open")
	last := 0
	if p, ok := ix.View().Profile("meta"); ok {
		b, _ := p.Attrs["batch"].AsInt()
		last = int(b)
	}
	keys := watchCrashKeys()
	for i := last + 1; ; i++ {
		now := watchCrashNow(i)
		require.NoError(t, w.Advance(ctx, now))
		kill("advanced")
		rng := rand.New(rand.NewPCG(uint64(i), 5))
		b := randomBatch(rng, ix, keys, now)
		b.Set("meta", "batch", bitmapindex.Int(int64(i)))
		require.NoError(t, b.Commit())
		kill("committed")
		require.NoError(t, w.Sync(ctx))
		kill("synced")
		ack()
		if i%5 == 0 {
			require.NoError(t, w.Checkpoint())
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestWatcherRestart(t *testing.T) {
	if os.Getenv(envWatchCrashDir) != "" {
		t.Skip("in the child")
	}
	trials := 12
	if testing.Short() {
		trials = 4
	}
	if s := os.Getenv("SEGKIT_WATCH_CRASH_TRIALS"); s != "" {
		trials = must(strconv.Atoi(s))
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	points := []string{"committed", "synced", "advanced", "ack", "record-half", "record-written", "state-written", ""}
	kills := map[string]int{}
	for trial := range trials {
		mode := ""
		if p := points[trial%len(points)]; p != "" {
			mode = fmt.Sprintf("at:%s@%d", p, 1+r.IntN(6))
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestWatcherRestartChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envWatchCrashDir+"="+dir, envWatchCrashMode+"="+mode)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		opened := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "open" {
					opened <- true
				}
			}
			close(opened)
		}()
		var limit <-chan time.Time
		if mode == "" {
			limit = time.After(time.Duration(20+r.IntN(200)) * time.Millisecond)
		} else {
			limit = time.After(20 * time.Second) // a chosen point not reached: a failure
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "trial %d (%s): the child ended by itself: %v", trial, mode, err)
		case <-limit:
			require.Empty(t, mode, "trial %d: the child never reached %s", trial, mode)
			cmd.Process.Kill()
			<-done
		}
		kills[mode[:max(0, strings.IndexByte(mode, '@'))]]++
	}
	t.Logf("%d kills: %v", trials, kills)

	// the last host: resume, consume the rest, and check the whole stream
	ix, w := watchCrashOpen(t, dir)
	defer ix.Close()
	defer w.Close()
	outPath := filepath.Join(dir, "acked")
	lines := readAcked(t, outPath)
	sub, err := w.SubscribeFrom(ackedCursor(t, lines), 1<<20)
	require.NoError(t, err)
	rest, err := sub.Next(0)
	require.NoError(t, err)
	lines = append(lines, strings.Split(strings.TrimSuffix(string(formatChanges(rest)), "\n"), "\n")...)
	if len(rest) == 0 {
		lines = lines[:len(lines)-1]
	}
	members := map[string]map[string]bool{}
	for i, l := range lines {
		f := strings.Fields(l)
		require.Len(t, f, 4, "line %d: %q", i+1, l)
		require.Equal(t, strconv.Itoa(i+1), f[0], "line %d: the changes are numbered 1, 2, … without gap or repeat", i+1)
		seg, key := f[1], f[2]
		if members[seg] == nil {
			members[seg] = map[string]bool{}
		}
		switch f[3] {
		case "entered":
			require.False(t, members[seg][key], "line %d: %s entered %s twice", i+1, key, seg)
			members[seg][key] = true
		case "left":
			require.True(t, members[seg][key], "line %d: %s left %s without being a member", i+1, key, seg)
			delete(members[seg], key)
		}
	}
	want := evalKeys(t, w.reg, ix.View(), w.Now())
	for name, keys := range want {
		require.Equal(t, len(keys), count(members[name]), "members of %s", name)
		for k := range keys {
			require.True(t, members[name][k], "%s in %s", k, name)
		}
	}
	// the persisted history saw the same stream
	h := w.History()
	for name := range want {
		got, err := h.Sizes(name, w.View().Zone().DayOf(w.Now()), w.View().Zone().DayOf(w.Now()))
		require.NoError(t, err)
		require.Equal(t, []DaySize{{Day: w.View().Zone().DayOf(w.Now()), Size: len(want[name])}}, got, "history size of %s", name)
	}
	require.Greater(t, len(lines), 20, "the children made progress")
	meta, _ := ix.View().Profile("meta")
	t.Logf("%d changes over %v steps, each once", len(lines), meta.Attrs["batch"])
}
