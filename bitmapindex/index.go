package bitmapindex

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Config configures an Index. The zero Config is usable: UTC, not strict,
// no attributes declared up front. It is a plain value; New copies what it
// needs.
type Config struct {
	// Location is the time zone of day buckets and day arithmetic; nil means
	// UTC. It must be persistable: a zone loadable by name with
	// time.LoadLocation, or a zone with one fixed offset (time.FixedZone).
	Location *time.Location
	// Strict makes writes to undeclared attributes errors. Otherwise the
	// first write declares the attribute with the kind of the Value
	// (decimals get scale 2).
	Strict bool
	// Schema is declared up front (Declare may add more later).
	Schema []Attribute
	// Events declares the properties of events: an occurrence of an event
	// listed here may only carry the listed property keys (other events
	// take any). Rules compiled with segment.WithEventSchema(View.EventSchema())
	// may then only name declared properties.
	Events map[string][]string

	// Sync is when Commit returns relative to the log reaching stable
	// storage, for an index opened with Open (New ignores it); the zero
	// value is SyncAlways.
	Sync SyncPolicy
	// CheckpointLogBytes, when positive, makes an index opened with Open
	// checkpoint in the background once the log since its last checkpoint
	// holds that many bytes (see Index.Checkpoint, Index.LogStats).
	CheckpointLogBytes int64
}

// DefaultConfig returns the default configuration: UTC, not strict, no
// attributes declared.
func DefaultConfig() Config { return Config{Location: time.UTC} }

// Index holds customers' tags, typed attributes and events in compressed
// bitmaps. It is safe for concurrent use: writes (the single-write methods
// and Batch.Commit) are serialised internally, and readers work on Views,
// which writers never block on nor change.
type Index struct {
	mu     sync.Mutex
	loc    *time.Location
	tz     *segkit.Zone // loc's day arithmetic, shared by views and attributes
	zone   zoneInfo
	strict bool
	evDecl map[string][]string // declared event properties (eventdecl.go); immutable

	keys *keyTable
	cur  *state
	gen  uint64 // writer generation; nodes with an older gen are frozen
	last *View  // the most recent view, returned again while nothing changed

	// dirty is true when cur differs from last.
	dirty bool
	// nodes lists the bitmaps created or copied in this generation.
	nodes []*bm

	// dur is the directory of an index opened with Open, nil otherwise;
	// recovery is what Open or LoadDir found.
	dur      *durable
	recovery *RecoveryReport

	// trackers receive the IDs every applied batch touches (changes.go).
	trackers []*Tracker
}

// state is the root of the copy-on-write tree (see cow.go).
type state struct {
	gen       uint64
	live      *bm
	schema    map[string]Attribute
	schemaGen uint64
	tags      map[string]*bm
	tagsGen   uint64
	attrs     map[string]*attr
	attrsGen  uint64
	events    map[string]*event
	eventsGen uint64
}

func newState() *state {
	return &state{
		live:   &bm{b: newBitmap()},
		schema: map[string]Attribute{},
		tags:   map[string]*bm{},
		attrs:  map[string]*attr{},
		events: map[string]*event{},
	}
}

// New returns an empty index. It returns an error when the schema is invalid
// (empty or duplicate name, invalid kind, decimal scale outside 0..9) or the
// location cannot be persisted.
func New(cfg Config) (*Index, error) {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	zone, err := zoneOf(loc)
	if err != nil {
		return nil, err
	}
	ix := newIndex(loc, zone, cfg.Strict)
	if err := ix.declareEvents(cfg.Events); err != nil {
		return nil, err
	}
	for _, a := range cfg.Schema {
		if err := a.validateNew(); err != nil {
			return nil, err
		}
		if _, dup := ix.cur.schema[a.Name]; dup {
			return nil, fmt.Errorf("bitmapindex: attribute %q declared twice", a.Name)
		}
		ix.cur.schema[a.Name] = a
	}
	return ix, nil
}

// Declare adds an attribute to the schema. Declaring an attribute again with
// the same kind and scale does nothing; with another kind or scale it is an
// error naming the attribute and both kinds.
func (ix *Index) Declare(a Attribute) error {
	if err := a.validateNew(); err != nil {
		return err
	}
	ix.mu.Lock()
	if old, ok := ix.cur.schema[a.Name]; ok {
		ix.mu.Unlock()
		if old.Kind != a.Kind || old.Scale != a.Scale {
			return fmt.Errorf("bitmapindex: attribute %q is already declared as %s, not %s", a.Name, kindScale(old), kindScale(a))
		}
		return nil
	}
	seq, err := ix.logDeclareLocked(a)
	if err == nil {
		_, err = ix.declareLocked(a)
	}
	ix.mu.Unlock()
	if err != nil {
		return err
	}
	return ix.waitDurable(seq)
}

// declareLocked declares a validated attribute (see Declare) and reports
// whether it was new.
func (ix *Index) declareLocked(a Attribute) (bool, error) {
	if old, ok := ix.cur.schema[a.Name]; ok {
		if old.Kind != a.Kind || old.Scale != a.Scale {
			return false, fmt.Errorf("bitmapindex: attribute %q is already declared as %s, not %s", a.Name, kindScale(old), kindScale(a))
		}
		return false, nil
	}
	w := ix.writer()
	st := w.root(ix)
	w.mutSchema(st)[a.Name] = a
	ix.dirty = true
	return true, nil
}

func kindScale(a Attribute) string {
	if a.Kind == KindDecimal {
		return fmt.Sprintf("decimal(%d)", a.Scale)
	}
	return a.Kind.String()
}

// Schema returns the declared attributes sorted by name.
func (ix *Index) Schema() []Attribute {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return sortedSchema(ix.cur.schema)
}

func sortedSchema(m map[string]Attribute) []Attribute {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b Attribute) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// newIndex returns an empty index in loc, persisted as zone.
func newIndex(loc *time.Location, zone zoneInfo, strict bool) *Index {
	ix := &Index{loc: loc, tz: segkit.NewZone(loc), zone: zone, strict: strict, keys: newKeyTable(), cur: newState(), gen: 1}
	ix.cur.gen, ix.cur.schemaGen, ix.cur.tagsGen, ix.cur.attrsGen, ix.cur.eventsGen = 1, 1, 1, 1, 1
	ix.cur.live.gen = 1
	ix.cur.live.b.SetCopyOnWrite(true) // written in generation 1: frozen by the first View
	ix.nodes = append(ix.nodes, ix.cur.live)
	return ix
}

// Location returns the index's time zone.
func (ix *Index) Location() *time.Location { return ix.loc }

// Zone returns the index's time zone for day arithmetic: the days of event
// records and time attributes, and the day a rule evaluated at some instant
// calls today, are counted in it.
func (ix *Index) Zone() *segkit.Zone { return ix.tz }

// Len returns the number of live customers.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return int(ix.cur.live.b.GetCardinality())
}

// Add adds a customer (no-op when it exists) and returns its ID and whether
// it was created (false also when the index cannot store more keys: its key
// storage holds 4 GiB, or, for an index opened with Open, when the write
// cannot be logged: Commit a batch to get the error).
func (ix *Index) Add(key string) (id uint32, created bool) {
	ix.mu.Lock()
	if id, ok := ix.keys.latest(key); ok && ix.cur.live.contains(id) {
		ix.mu.Unlock()
		return id, false
	}
	b := batchOf(ix, op{kind: opAdd, key: key})
	if b.validateLocked() != nil {
		ix.mu.Unlock()
		return 0, false // only when the key storage is full (4 GiB of keys)
	}
	seq, err := ix.logBatchLocked(b)
	if err != nil {
		ix.mu.Unlock()
		return 0, false
	}
	b.applyLocked()
	id, _ = ix.keys.latest(key)
	ix.mu.Unlock()
	if ix.waitDurable(seq) != nil {
		return 0, false
	}
	return id, true
}

// Delete removes a customer from every bitmap; the key may be added again
// later and then gets a new ID. It reports whether the customer existed
// (and, for an index opened with Open, the deletion was logged).
func (ix *Index) Delete(key string) bool {
	ix.mu.Lock()
	id, ok := ix.keys.latest(key)
	if !ok || !ix.cur.live.contains(id) {
		ix.mu.Unlock()
		return false
	}
	b := batchOf(ix, op{kind: opDelete, key: key})
	seq, err := ix.logBatchLocked(b)
	if err != nil {
		ix.mu.Unlock()
		return false
	}
	b.applyLocked()
	ix.mu.Unlock()
	return ix.waitDurable(seq) == nil
}

// AddTag tags a customer, creating the customer when the key is new.
func (ix *Index) AddTag(key, tag string) error {
	return ix.single(op{kind: opTag, key: key, name: tag})
}

// RemoveTag removes a tag from a customer (creating the customer when the
// key is new, as every write does).
func (ix *Index) RemoveTag(key, tag string) error {
	return ix.single(op{kind: opUntag, key: key, name: tag})
}

// Set sets (replaces) a customer's value of an attribute. Writing a value of
// the wrong kind, or to an undeclared attribute of a strict index, returns a
// *KindError (wrapped in a *BatchError) and writes nothing.
func (ix *Index) Set(key, attr string, v Value) error {
	return ix.single(op{kind: opSet, key: key, name: attr, v: v})
}

// Clear removes a customer's value of an attribute.
func (ix *Index) Clear(key, attr string) error {
	return ix.single(op{kind: opClear, key: key, name: attr})
}

// Record records an occurrence of event for the customer at the given
// instant, with an optional value (0 when there is none; see EventSum).
// Values out of the Amount range and instants more than 2³⁰ days from 1970
// are errors naming the event (time attribute values have the same range).
func (ix *Index) Record(key, event string, at time.Time, value float64) error {
	return ix.single(op{kind: opRecord, key: key, name: event, v: Value{n: dayNumber(at, ix.tz), f: value}})
}

func (ix *Index) single(o op) error {
	ix.mu.Lock()
	b := batchOf(ix, o)
	if err := b.validateLocked(); err != nil {
		ix.mu.Unlock()
		return err
	}
	seq, err := ix.logBatchLocked(b)
	if err != nil {
		ix.mu.Unlock()
		return err
	}
	b.applyLocked()
	ix.mu.Unlock()
	return ix.waitDurable(seq)
}

// View returns an immutable, consistent snapshot of the index that holds
// every write committed before the call. It takes constant time (it waits
// only for a batch being committed at that moment): the index copies what
// it changes afterwards instead (copy-on-write), so the cost of views is
// proportional to what changes between them. Views of an unchanged index
// are the same *View.
func (ix *Index) View() *View {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.viewLocked()
}

func (ix *Index) viewLocked() *View {
	if ix.last != nil && !ix.dirty {
		return ix.last
	}
	st := ix.cur
	v := &View{
		st:     st,
		keys:   ix.keys.view(),
		loc:    ix.loc,
		tz:     ix.tz,
		zone:   ix.zone,
		strict: ix.strict,
		evDecl: ix.evDecl,
	}
	st.stripeNew(ix.gen) // before freeze switches copy-on-write off
	freeze(ix.nodes)
	clear(ix.nodes)
	ix.nodes = ix.nodes[:0]
	ix.gen++ // freeze everything reachable from st
	ix.last, ix.dirty = v, false
	return v
}

// writer returns the writer context of the current generation.
func (ix *Index) writer() wctx { return wctx{gen: ix.gen, dirty: &ix.nodes, tz: ix.tz} }

// root makes the state root writable.
func (w wctx) root(ix *Index) *state {
	if ix.cur.gen != w.gen {
		c := *ix.cur
		c.gen = w.gen
		ix.cur = &c
	}
	return ix.cur
}

func (w wctx) mutSchema(st *state) map[string]Attribute {
	if st.schemaGen != w.gen {
		st.schema = maps.Clone(st.schema)
		st.schemaGen = w.gen
	}
	return st.schema
}

func (w wctx) mutTags(st *state) map[string]*bm {
	if st.tagsGen != w.gen {
		st.tags = maps.Clone(st.tags)
		st.tagsGen = w.gen
	}
	return st.tags
}

func (w wctx) mutAttrs(st *state) map[string]*attr {
	if st.attrsGen != w.gen {
		st.attrs = maps.Clone(st.attrs)
		st.attrsGen = w.gen
	}
	return st.attrs
}

func (w wctx) mutEvents(st *state) map[string]*event {
	if st.eventsGen != w.gen {
		st.events = maps.Clone(st.events)
		st.eventsGen = w.gen
	}
	return st.events
}

// tag returns the writable bitmap of a tag, creating the tag.
func (w wctx) tag(st *state, name string) *roaring.Bitmap {
	m := w.mutTags(st)
	p := m[name]
	b := w.own(&p)
	m[name] = p
	return b
}
