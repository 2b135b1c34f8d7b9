package knobs

// StripeBits is the width, in bits of the customer ID, of the stripes the
// index cuts its large dense bitmaps into (bitmapindex.Set.Stripes): 22,
// 4,194,304 IDs or 64 roaring containers a stripe.
var StripeBits = 22
