// Package dataio reads the segkit command's files: customers and events as
// JSON Lines, an optional schema, transactions and tier activities as CSV,
// segment and persona definitions and tier programs as JSON. docs/formats.md
// describes every format with a complete example.
//
// Where to start: NewIndex, then LoadCustomersFile and LoadEventsFile build
// an index from files; ReadTransactionsFile and ReadActivitiesFile read a
// whole CSV with the line of each record, so that an error a model reports
// about a record can be rewritten to name its line (Transactions.Locate);
// DefineSegmentsFile and ReadPersonasFile read definitions, reporting every
// problem of a file together.
//
// Every error names the input, the line and the field, says what was
// expected, and quotes at most MaxQuoted bytes of the bad value (Quote).
// Everyday exports are accepted: a UTF-8 byte-order mark, SQL-style
// timestamps ("2026-01-01 10:00:00", read in the data's time zone), the
// "time_zone" and "timezone" spellings, definitions as a bare array or as
// an object with a named array. Record times must fall in the years
// MinRecordYear..MaxRecordYear, so that a placeholder date (0001-01-01) is
// an error rather than a purchase. A customer appears once: a second record
// with the same id is an error.
//
// Readers are streams (iter.Seq2 of a record and an error): the first error
// ends the stream, and callers stop there, so nothing after a bad record is
// applied. A reader is not safe for concurrent use.
package dataio
