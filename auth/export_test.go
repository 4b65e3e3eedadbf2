package auth

import "time"

// SetApplicationCacheClock replaces the clock of s's application cache.
func SetApplicationCacheClock(s *Service, now func() time.Time) { s.apps.now = now }
