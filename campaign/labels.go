package campaign

import (
	"fmt"

	"github.com/segkit/segkit/bitmapindex"
)

// AttributeLabels returns a label function for [Analysis.Label] that gives
// each customer of view v its value of the category attribute attr (a
// persona, a city, an RFM segment). Customers unknown to v or without a
// value have no label. The function reads a table built once here (4 bytes
// per customer ID) and is safe for concurrent use. An unknown attribute or
// one that is not a category is an [ErrAttribute] error.
func AttributeLabels(v *bitmapindex.View, attr string) (func(key string) (string, bool), error) {
	if v == nil {
		return nil, fmt.Errorf("%w: nil view", ErrAttribute)
	}
	a, ok := v.Attribute(attr)
	if !ok {
		return nil, fmt.Errorf("%w: unknown attribute %q", ErrAttribute, attr)
	}
	if a.Kind != bitmapindex.KindCategory {
		return nil, fmt.Errorf("%w: attribute %q is %s, not category", ErrAttribute, attr, a.Kind)
	}
	values, err := v.Values(attr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAttribute, err)
	}
	var table []int32 // ID → 1 + index into values; 0: no value
	for i, val := range values {
		s, err := v.WithValue(attr, val)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrAttribute, err)
		}
		if s.Len() == 0 {
			continue
		}
		if max := int(s.Bitmap().Maximum()); max >= len(table) {
			table = append(table, make([]int32, max+1-len(table))...)
		}
		for id := range s.IDs() {
			table[id] = int32(i + 1)
		}
	}
	return func(key string) (string, bool) {
		id, ok := v.ID(key)
		if !ok || int(id) >= len(table) || table[id] == 0 {
			return "", false
		}
		return values[table[id]-1], true
	}, nil
}
