package campaign

import (
	"errors"

	"github.com/segkit/segkit/bitmapindex"
)

// Sentinel errors. Errors returned by this package wrap one of them (test with
// [errors.Is]) and add the offending group, key or value to the message.
var (
	// ErrNoGroups is returned when a split is defined without any group.
	ErrNoGroups = errors.New("campaign: no groups")
	// ErrGroupName is returned when a group name is empty or used twice.
	ErrGroupName = errors.New("campaign: bad group name")
	// ErrRatio is returned when a ratio is negative, NaN or infinite, or when
	// the ratios do not sum to 1 (within [RatioTolerance]).
	ErrRatio = errors.New("campaign: bad ratio")
	// ErrEmptySegment is returned when asked to split a segment with no members.
	ErrEmptySegment = errors.New("campaign: empty segment")
	// ErrForeignSet is returned when a Set does not belong to the View passed
	// with it (its IDs denote other customers there), or a View is nil. It
	// is bitmapindex.ErrForeignSet, so one errors.Is covers both packages.
	ErrForeignSet = bitmapindex.ErrForeignSet
	// ErrSegmentName is returned by [Overlap] for an empty or duplicate
	// segment name.
	ErrSegmentName = errors.New("campaign: bad segment name")
	// ErrNoControl is returned when the control group named for an analysis
	// is empty, unknown, or has no exposures.
	ErrNoControl = errors.New("campaign: no control group")
	// ErrNoExposures is returned when an analysis has no outcomes at all, or
	// an expected group has none.
	ErrNoExposures = errors.New("campaign: no exposures")
	// ErrOutcome is returned for an outcome that cannot be counted: no group,
	// an unknown group, a customer reported in two groups, or a value that
	// is NaN or infinite.
	ErrOutcome = errors.New("campaign: bad outcome")
	// ErrConfig is returned for a Config field outside its documented range.
	ErrConfig = errors.New("campaign: bad config")
	// ErrAttribute is returned by [AttributeLabels] when the attribute is
	// unknown or is not a category.
	ErrAttribute = errors.New("campaign: bad attribute")
)
