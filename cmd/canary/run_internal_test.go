package canary

import (
	"strings"
	"testing"
	"time"
)

func TestRunWindow(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 600e6, time.UTC)
	s, e, err := runWindow("", "", time.Hour, true, now)
	if err != nil || !e.Equal(now.Truncate(time.Second)) || e.Sub(s) != time.Hour {
		t.Errorf("lookback: %v %v %v", s, e, err)
	}
	s, e, err = runWindow("2026-01-02T14:00:00Z", "2026-01-02T15:00:00+01:00", 0, false, now)
	if err == nil {
		t.Errorf("15:00+01:00 is before 14:00Z: %v %v", s, e)
	}
	s, e, err = runWindow("2026-01-02T14:00:00Z", "2026-01-02T15:00:00Z", 0, false, now)
	if err != nil || e.Sub(s) != time.Hour {
		t.Errorf("start/end: %v %v %v", s, e, err)
	}
	for _, tc := range []struct {
		start, end string
		lb         time.Duration
		set        bool
		want       string
	}{
		{"", "", 0, false, "--lookback"},
		{"", "", -time.Minute, true, "positive"},
		{"2026-01-02T14:00:00Z", "", time.Hour, true, "exclusive"},
		{"", "2026-01-02T14:00:00Z", 0, false, "go together"},
		{"2026-01-02 14:00", "2026-01-02T15:00:00Z", 0, false, "RFC 3339"},
		{"2026-01-02T14:00:00Z", "2026-01-02T14:00:00Z", 0, false, "not before"},
	} {
		if _, _, err := runWindow(tc.start, tc.end, tc.lb, tc.set, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc, err, tc.want)
		}
	}
}
