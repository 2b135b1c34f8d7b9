package bitmapindex

import (
	"errors"
	"io"
	"iter"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

var errTODO = errors.New("bitmapindex: not implemented yet (milestone 0)")

// Config configures an Index.
type Config struct {
	Location *time.Location // day buckets and day arithmetic; nil means UTC
	Strict   bool           // writes to undeclared attributes are errors; otherwise the kind is inferred from the Value (decimal gets scale 2)
	Schema   []Attribute    // declared up front (Declare may add more later)
}

// DefaultConfig returns the default configuration: UTC, not strict, no schema.
func DefaultConfig() Config { return Config{Location: time.UTC} }

// Index is the writable index. It is safe for concurrent use.
type Index struct{ loc *time.Location }

func New(cfg Config) (*Index, error) {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Index{loc: loc}, nil
}
func (ix *Index) Declare(a Attribute) error                                   { return errTODO }
func (ix *Index) Schema() []Attribute                                         { return nil }
func (ix *Index) Location() *time.Location                                    { return ix.loc }
func (ix *Index) Add(key string) (id uint32, created bool)                    { return 0, false }
func (ix *Index) Delete(key string) bool                                      { return false }
func (ix *Index) AddTag(key, tag string) error                                { return errTODO }
func (ix *Index) RemoveTag(key, tag string) error                             { return errTODO }
func (ix *Index) Set(key, attr string, v Value) error                         { return errTODO }
func (ix *Index) Clear(key, attr string) error                                { return errTODO }
func (ix *Index) Record(key, event string, at time.Time, value float64) error { return errTODO }
func (ix *Index) Len() int                                                    { return 0 }
func (ix *Index) NewBatch() *Batch                                            { return &Batch{ix: ix} }
func (ix *Index) View() *View                                                 { return &View{loc: ix.loc} }
func (ix *Index) Save(path string) error                                      { return errTODO }
func Load(path string) (*Index, error)                                        { return nil, errTODO }
func Read(r io.Reader) (*Index, error)                                        { return nil, errTODO }

// Batch collects writes. Not safe for concurrent use.
type Batch struct {
	ix *Index
	n  int
}

func (b *Batch) Add(key string)                                        { b.n++ }
func (b *Batch) Delete(key string)                                     { b.n++ }
func (b *Batch) AddTag(key, tag string)                                { b.n++ }
func (b *Batch) RemoveTag(key, tag string)                             { b.n++ }
func (b *Batch) Set(key, attr string, v Value)                         { b.n++ }
func (b *Batch) Clear(key, attr string)                                { b.n++ }
func (b *Batch) Record(key, event string, at time.Time, value float64) { b.n++ }
func (b *Batch) Len() int                                              { return b.n }
func (b *Batch) Commit() error                                         { return errTODO }

// View is an immutable snapshot; safe for concurrent use.
type View struct{ loc *time.Location }

func (v *View) Len() int                                                    { return 0 }
func (v *View) All() Set                                                    { return Set{} }
func (v *View) Location() *time.Location                                    { return v.loc }
func (v *View) Schema() []Attribute                                         { return nil }
func (v *View) Attribute(name string) (Attribute, bool)                     { return Attribute{}, false }
func (v *View) ID(key string) (uint32, bool)                                { return 0, false }
func (v *View) Key(id uint32) (string, bool)                                { return "", false }
func (v *View) Wrap(bm *roaring.Bitmap) Set                                 { return Set{v: v, bm: bm} }
func (v *View) Tag(name string) Set                                         { return Set{} }
func (v *View) HasTag(name string) bool                                     { return false }
func (v *View) Tags() []TagCount                                            { return nil }
func (v *View) Present(attr string) (Set, error)                            { return Set{}, errTODO }
func (v *View) Compare(attr string, op Op, c Value) (Set, error)            { return Set{}, errTODO }
func (v *View) Between(attr string, lo, hi Value) (Set, error)              { return Set{}, errTODO }
func (v *View) Values(attr string) ([]string, error)                        { return nil, errTODO }
func (v *View) WithValue(attr, value string) (Set, error)                   { return Set{}, errTODO }
func (v *View) Events() []string                                            { return nil }
func (v *View) Did(event string, from, to segkit.Day) Set                   { return Set{} }
func (v *View) Count(event string, from, to segkit.Day, op Op, n int64) Set { return Set{} }
func (v *View) FirstIn(event string, from, to segkit.Day) Set               { return Set{} }
func (v *View) Profile(key string) (Profile, bool)                          { return Profile{}, false }
func (v *View) Stats() Stats                                                { return Stats{} }
func (v *View) WriteTo(w io.Writer) (int64, error)                          { return 0, errTODO }

// TagCount is a tag and its member count.
type TagCount struct {
	Name  string
	Count int
}

// Stats describes a view.
type Stats struct{ Customers int }

// Set is an immutable set of customer IDs of one view.
type Set struct {
	v  *View
	bm *roaring.Bitmap
}

func (s Set) Len() int                          { return 0 }
func (s Set) Contains(id uint32) bool           { return false }
func (s Set) ContainsKey(key string) bool       { return false }
func (s Set) IDs() iter.Seq[uint32]             { return func(func(uint32) bool) {} }
func (s Set) Keys() iter.Seq[string]            { return func(func(string) bool) {} }
func (s Set) Bitmap() *roaring.Bitmap           { return roaring.New() }
func (s Set) And(o Set) Set                     { return s }
func (s Set) Or(o Set) Set                      { return s }
func (s Set) AndNot(o Set) Set                  { return s }
func (s Set) MarshalBinary() ([]byte, error)    { return nil, errTODO }
func ReadSet(v *View, data []byte) (Set, error) { return Set{}, errTODO }

// Profile is one customer as plain Go values.
type Profile struct {
	Key      string
	Location *time.Location
	Tags     map[string]bool
	Attrs    map[string]Value
	Schema   map[string]Attribute
	Events   map[string][]time.Time
}
