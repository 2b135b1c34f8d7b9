package bitmapindex_test

import (
	"io"
	"iter"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// The API contract (notes/bitmapindex-api.md) as compile-time assertions:
// this file stops compiling if a signature drifts.
var (
	_ func(bitmapindex.Kind) string                                                                  = bitmapindex.Kind.String
	_ func(string) (bitmapindex.Kind, int, error)                                                    = bitmapindex.ParseKind
	_ func(int64) bitmapindex.Value                                                                  = bitmapindex.Int
	_ func(float64) bitmapindex.Value                                                                = bitmapindex.Decimal
	_ func(time.Time) bitmapindex.Value                                                              = bitmapindex.Time
	_ func(bool) bitmapindex.Value                                                                   = bitmapindex.Bool
	_ func(string) bitmapindex.Value                                                                 = bitmapindex.Category
	_ func(...string) bitmapindex.Value                                                              = bitmapindex.SetOf
	_ func(bitmapindex.Value) bitmapindex.Kind                                                       = bitmapindex.Value.Kind
	_ func(bitmapindex.Value) (int64, bool)                                                          = bitmapindex.Value.AsInt
	_ func(bitmapindex.Value) (float64, bool)                                                        = bitmapindex.Value.AsDecimal
	_ func(bitmapindex.Value) (time.Time, bool)                                                      = bitmapindex.Value.AsTime
	_ func(bitmapindex.Value) (bool, bool)                                                           = bitmapindex.Value.AsBool
	_ func(bitmapindex.Value) (string, bool)                                                         = bitmapindex.Value.AsString
	_ func(bitmapindex.Value) ([]string, bool)                                                       = bitmapindex.Value.AsStrings
	_ func(bitmapindex.Value) string                                                                 = bitmapindex.Value.String
	_ func(bitmapindex.Op) string                                                                    = bitmapindex.Op.String
	_ func(bitmapindex.Attribute, bitmapindex.Value, bitmapindex.Op, bitmapindex.Value) bool         = bitmapindex.Holds
	_ func() bitmapindex.Config                                                                      = bitmapindex.DefaultConfig
	_ func(bitmapindex.Config) (*bitmapindex.Index, error)                                           = bitmapindex.New
	_ func(*bitmapindex.Index, bitmapindex.Attribute) error                                          = (*bitmapindex.Index).Declare
	_ func(*bitmapindex.Index) []bitmapindex.Attribute                                               = (*bitmapindex.Index).Schema
	_ func(*bitmapindex.Index) *time.Location                                                        = (*bitmapindex.Index).Location
	_ func(*bitmapindex.Index, string) (uint32, bool)                                                = (*bitmapindex.Index).Add
	_ func(*bitmapindex.Index, string) bool                                                          = (*bitmapindex.Index).Delete
	_ func(*bitmapindex.Index, string, string) error                                                 = (*bitmapindex.Index).AddTag
	_ func(*bitmapindex.Index, string, string) error                                                 = (*bitmapindex.Index).RemoveTag
	_ func(*bitmapindex.Index, string, string, bitmapindex.Value) error                              = (*bitmapindex.Index).Set
	_ func(*bitmapindex.Index, string, string) error                                                 = (*bitmapindex.Index).Clear
	_ func(*bitmapindex.Index, string, string, time.Time, float64) error                             = (*bitmapindex.Index).Record
	_ func(*bitmapindex.Index) int                                                                   = (*bitmapindex.Index).Len
	_ func(*bitmapindex.Index) *bitmapindex.Batch                                                    = (*bitmapindex.Index).NewBatch
	_ func(*bitmapindex.Batch, string)                                                               = (*bitmapindex.Batch).Add
	_ func(*bitmapindex.Batch, string)                                                               = (*bitmapindex.Batch).Delete
	_ func(*bitmapindex.Batch, string, string)                                                       = (*bitmapindex.Batch).AddTag
	_ func(*bitmapindex.Batch, string, string)                                                       = (*bitmapindex.Batch).RemoveTag
	_ func(*bitmapindex.Batch, string, string, bitmapindex.Value)                                    = (*bitmapindex.Batch).Set
	_ func(*bitmapindex.Batch, string, string)                                                       = (*bitmapindex.Batch).Clear
	_ func(*bitmapindex.Batch, string, string, time.Time, float64)                                   = (*bitmapindex.Batch).Record
	_ func(*bitmapindex.Batch) int                                                                   = (*bitmapindex.Batch).Len
	_ func(*bitmapindex.Batch) error                                                                 = (*bitmapindex.Batch).Commit
	_ func(*bitmapindex.Index) *bitmapindex.View                                                     = (*bitmapindex.Index).View
	_ func(*bitmapindex.View) int                                                                    = (*bitmapindex.View).Len
	_ func(*bitmapindex.View) bitmapindex.Set                                                        = (*bitmapindex.View).All
	_ func(*bitmapindex.View) *time.Location                                                         = (*bitmapindex.View).Location
	_ func(*bitmapindex.View) []bitmapindex.Attribute                                                = (*bitmapindex.View).Schema
	_ func(*bitmapindex.View, string) (bitmapindex.Attribute, bool)                                  = (*bitmapindex.View).Attribute
	_ func(*bitmapindex.View, string) (uint32, bool)                                                 = (*bitmapindex.View).ID
	_ func(*bitmapindex.View, uint32) (string, bool)                                                 = (*bitmapindex.View).Key
	_ func(*bitmapindex.View, *roaring.Bitmap) bitmapindex.Set                                       = (*bitmapindex.View).Wrap
	_ func(*bitmapindex.View, string) bitmapindex.Set                                                = (*bitmapindex.View).Tag
	_ func(*bitmapindex.View, string) bool                                                           = (*bitmapindex.View).HasTag
	_ func(*bitmapindex.View) []bitmapindex.TagCount                                                 = (*bitmapindex.View).Tags
	_ func(*bitmapindex.View, string) (bitmapindex.Set, error)                                       = (*bitmapindex.View).Present
	_ func(*bitmapindex.View, string, bitmapindex.Op, bitmapindex.Value) (bitmapindex.Set, error)    = (*bitmapindex.View).Compare
	_ func(*bitmapindex.View, string, bitmapindex.Value, bitmapindex.Value) (bitmapindex.Set, error) = (*bitmapindex.View).Between
	_ func(*bitmapindex.View, string) ([]string, error)                                              = (*bitmapindex.View).Values
	_ func(*bitmapindex.View, string, string) (bitmapindex.Set, error)                               = (*bitmapindex.View).WithValue
	_ func(*bitmapindex.View) []string                                                               = (*bitmapindex.View).Events
	_ func(*bitmapindex.View, string, segkit.Day, segkit.Day) bitmapindex.Set                        = (*bitmapindex.View).Did
	_ func(*bitmapindex.View, string, segkit.Day, segkit.Day, bitmapindex.Op, int64) bitmapindex.Set = (*bitmapindex.View).Count
	_ func(*bitmapindex.View, string, segkit.Day, segkit.Day) bitmapindex.Set                        = (*bitmapindex.View).FirstIn
	_ func(*bitmapindex.View, string) (bitmapindex.Profile, bool)                                    = (*bitmapindex.View).Profile
	_ func(*bitmapindex.View) bitmapindex.Stats                                                      = (*bitmapindex.View).Stats
	_ func(*bitmapindex.View, io.Writer) (int64, error)                                              = (*bitmapindex.View).WriteTo
	_ func(*bitmapindex.Index, string) error                                                         = (*bitmapindex.Index).Save
	_ func(string) (*bitmapindex.Index, error)                                                       = bitmapindex.Load
	_ func(io.Reader) (*bitmapindex.Index, error)                                                    = bitmapindex.Read
	_ func(bitmapindex.Set) int                                                                      = bitmapindex.Set.Len
	_ func(bitmapindex.Set, uint32) bool                                                             = bitmapindex.Set.Contains
	_ func(bitmapindex.Set, string) bool                                                             = bitmapindex.Set.ContainsKey
	_ func(bitmapindex.Set) iter.Seq[uint32]                                                         = bitmapindex.Set.IDs
	_ func(bitmapindex.Set) iter.Seq[string]                                                         = bitmapindex.Set.Keys
	_ func(bitmapindex.Set) *roaring.Bitmap                                                          = bitmapindex.Set.Bitmap
	_ func(bitmapindex.Set, bitmapindex.Set) bitmapindex.Set                                         = bitmapindex.Set.And
	_ func(bitmapindex.Set, bitmapindex.Set) bitmapindex.Set                                         = bitmapindex.Set.Or
	_ func(bitmapindex.Set, bitmapindex.Set) bitmapindex.Set                                         = bitmapindex.Set.AndNot
	_ func(bitmapindex.Set) ([]byte, error)                                                          = bitmapindex.Set.MarshalBinary
	_ func(*bitmapindex.View, []byte) (bitmapindex.Set, error)                                       = bitmapindex.ReadSet

	_ = bitmapindex.Attribute{Name: "", Kind: bitmapindex.KindDecimal, Scale: 2}
	_ = bitmapindex.Config{Location: time.UTC, Strict: true, Schema: []bitmapindex.Attribute{}}
	_ = bitmapindex.TagCount{Name: "", Count: 0}
	_ = bitmapindex.Profile{Key: "", Location: time.UTC, Tags: map[string]bool{}, Attrs: map[string]bitmapindex.Value{},
		Schema: map[string]bitmapindex.Attribute{}, Events: map[string][]time.Time{}}
	_ = []bitmapindex.Kind{bitmapindex.KindInvalid, bitmapindex.KindCategory, bitmapindex.KindSet, bitmapindex.KindInt,
		bitmapindex.KindDecimal, bitmapindex.KindTime, bitmapindex.KindBool}
	_ = []bitmapindex.Op{bitmapindex.Eq, bitmapindex.Ne, bitmapindex.Lt, bitmapindex.Le, bitmapindex.Gt, bitmapindex.Ge}
)
