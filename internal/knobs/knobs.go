// Package knobs holds sizes the library's packages share that tests set
// small, so that a test of a few thousand customers exercises what a
// production index does at millions. Nothing outside the module sees them;
// tests set them before building an index and restore them after.
package knobs

// StripeBits is the width, in bits of the customer ID, of the stripes the
// index cuts its large dense bitmaps into (bitmapindex.Set.Stripes): 22,
// 4,194,304 IDs or 64 roaring containers a stripe.
var StripeBits = 22
