package compare

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
)

// eventsOf builds one customer's events from name, time pairs.
func eventsOf(key string, pairs ...any) []segkit.Event {
	var evs []segkit.Event
	for i := 0; i < len(pairs); i += 2 {
		evs = append(evs, segkit.Event{Customer: key, Name: pairs[i].(string), At: pairs[i+1].(time.Time)})
	}
	return evs
}

func dayNum(t *testing.T, s string) segkit.Day {
	t.Helper()
	d, err := segkit.ParseDay(s)
	require.NoError(t, err)
	return d
}
