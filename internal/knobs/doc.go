// Package knobs holds sizes the library's packages share that tests set
// small, so that a test of a few thousand customers exercises what a
// production index does at millions. Nothing outside the module sees them;
// tests set them before building an index and restore them after.
package knobs
