package bitmapindex

import "fmt"

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
