package serializers

import "time"

// TimeFormat is how every timestamp goes on the wire: UTC, ISO 8601, with
// milliseconds ("2026-11-21T10:00:00.000Z"), as the reference does.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Time is a timestamp attribute of a representation struct.
type Time struct{ time.Time }

// MarshalJSON writes the timestamp in TimeFormat.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeFormat) + `"`), nil
}

// NewTime wraps a time; nil stays nil.
func NewTime(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	return &Time{*t}
}
