package bitmapindex

import (
	"fmt"
	"slices"
)

// The models (rfm, lifecycle, tier, persona) write their results into an
// index through adapters of one shape:
//
//	type IndexConfig struct{ … }  // the attribute names, DefaultIndexConfig()
//	type Output struct{ … }       // what the model's own evaluation returns
//	func (c IndexConfig) Attributes(out Output) []bitmapindex.Attribute
//	func Apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) error
//	func Update(ix *bitmapindex.Index, out Output, cfg IndexConfig) error
//
// Attributes says what the adapter writes (for a strict schema); Apply adds
// the writes to a batch the caller commits, alongside its own; Update
// declares the attributes, clears them for customers the output no longer
// covers and writes the output, in one atomic batch. DeclareAll and
// ClearStale are the two steps Update adds to Apply.

// DeclareAll declares every attribute of attrs (see [Index.Declare]): those
// the index has already with the same kind are left alone, one declared
// with another kind or scale is an error and stops the declarations.
func (ix *Index) DeclareAll(attrs []Attribute) error {
	for _, a := range attrs {
		if err := ix.Declare(a); err != nil {
			return err
		}
	}
	return nil
}

// ClearStale adds to b a Clear of attr for every customer of v that holds
// a value of attr but for whom keep returns false: a model's Update uses it
// so that rules do not select customers its new output no longer covers on
// yesterday's value. An attribute v does not have is no error (nothing to
// clear).
func ClearStale(b *Batch, v *View, attr string, keep func(key string) bool) error {
	if b == nil || v == nil {
		return fmt.Errorf("bitmapindex: clear stale %q: nil batch or view", attr)
	}
	if _, ok := v.Attribute(attr); !ok || attr == "" {
		return nil
	}
	present, err := v.Present(attr)
	if err != nil {
		return err
	}
	for key := range present.Keys() {
		if !keep(key) {
			b.Clear(key, attr)
		}
	}
	return nil
}

// UpdateModel is the body every model adapter's Update shares: in one
// atomic batch it declares attrs (DeclareAll), lets write add the model's
// writes and say which customers its output covers for each attribute,
// clears each attribute for the other customers of the index that hold it
// (ClearStale), and commits.
// Errors of the declarations, the clearing and the commit are prefixed with
// prefix ("rfm: index"); write's own errors are returned as they are, and
// nothing is written after one.
func UpdateModel(ix *Index, prefix string, attrs []Attribute, write func(b *Batch) (covers func(attr, key string) bool, err error)) error {
	if ix == nil {
		return fmt.Errorf("%s: nil index", prefix)
	}
	if err := ix.DeclareAll(attrs); err != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	b := ix.NewBatch()
	covers, err := write(b)
	if err != nil {
		return err
	}
	v := ix.View()
	for _, a := range attrs {
		if err := ClearStale(b, v, a.Name, func(key string) bool { return covers(a.Name, key) }); err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	return nil
}

// Covers returns a predicate for UpdateModel: whether a key is one of keys
// (which it sorts), for every attribute.
func Covers(keys []string) func(attr, key string) bool {
	slices.Sort(keys)
	return func(_, key string) bool {
		_, ok := slices.BinarySearch(keys, key)
		return ok
	}
}
