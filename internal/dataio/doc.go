// Package dataio reads the segkit command's data contract: customers
// and events as JSON Lines, an optional schema file, and transactions as CSV. Every error names the input, the line and the
// field, so a person can find and fix the record.
//
// Readers are streams (iter.Seq2 of a record and an error): the first error
// ends the stream, and callers stop there, so nothing after a bad record is
// applied. A reader is not safe for concurrent use.
package dataio
