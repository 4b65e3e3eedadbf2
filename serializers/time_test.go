package serializers_test

import (
	"encoding/json"
	"testing"
	"time"

	"kasse/serializers"
)

func TestTimeMarshalJSON(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	newYork := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC whole second", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), `"2026-11-21T10:00:00.000Z"`},
		{"milliseconds", time.Date(2026, 11, 21, 10, 0, 0, 7_000_000, time.UTC), `"2026-11-21T10:00:00.007Z"`},
		{"sub-millisecond is truncated, not rounded", time.Date(2026, 11, 21, 10, 0, 0, 999_999_999, time.UTC), `"2026-11-21T10:00:00.999Z"`},
		{"positive offset converted to UTC", time.Date(2026, 11, 21, 19, 0, 0, 0, tokyo), `"2026-11-21T10:00:00.000Z"`},
		{"negative offset crosses midnight", time.Date(2026, 12, 31, 22, 30, 0, 0, newYork), `"2027-01-01T03:30:00.000Z"`},
		{"local zone", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).In(time.Local), `"2026-11-21T10:00:00.000Z"`},
		{"zero time", time.Time{}, `"0001-01-01T00:00:00.000Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(serializers.Time{Time: tt.in})
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s, want %s", got, tt.want)
			}
			// The wire format round-trips to the same instant (to the ms).
			var back time.Time
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Unmarshal(%s) as RFC 3339: %v", got, err)
			}
			if want := tt.in.Truncate(time.Millisecond); !back.Equal(want) {
				t.Errorf("round trip = %v, want %v", back, want)
			}
		})
	}
}

func TestTimeInStructs(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	type row struct {
		A serializers.Time  `json:"a"`
		B *serializers.Time `json:"b"`
		C *serializers.Time `json:"c"`
	}
	got, err := json.Marshal(row{A: serializers.Time{Time: at}, B: serializers.NewTime(&at), C: serializers.NewTime(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"2026-01-02T03:04:05.006Z","b":"2026-01-02T03:04:05.006Z","c":null}`
	if string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

func TestNewTime(t *testing.T) {
	if got := serializers.NewTime(nil); got != nil {
		t.Errorf("NewTime(nil) = %v, want nil", got)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got := serializers.NewTime(&at)
	if got == nil || !got.Equal(at) {
		t.Errorf("NewTime(&at) = %v, want %v", got, at)
	}
	at = at.Add(time.Hour)
	if got.Equal(at) {
		t.Error("NewTime shares the caller's time value; want a copy")
	}
}
