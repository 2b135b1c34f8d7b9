package dataio

import (
	"context"
	"fmt"
	"os"

	"github.com/segkit/segkit/bitmapindex"
)

// ReadSchemaFile reads the schema file at path.
func ReadSchemaFile(path string) (*Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSchema(path, f)
}

// LoadCustomersFile loads the customers file at path into ix (see
// LoadCustomers); schema may be nil.
func LoadCustomersFile(ctx context.Context, ix *bitmapindex.Index, path string, schema *Schema) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := LoadCustomers(ctx, ix, NewCustomerReader(path, f, schema))
	if err == nil && n == 0 {
		return 0, fmt.Errorf("dataio: %s: no customers: the file is empty", path)
	}
	return n, err
}

// LoadEventsFile records the events of the file at path in ix (see
// LoadEvents).
func LoadEventsFile(ctx context.Context, ix *bitmapindex.Index, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return LoadEvents(ctx, ix, path, f)
}
