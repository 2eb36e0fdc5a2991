package store

// SetBeforeCommit makes every write transaction of s run f between its
// change-feed insert and its commit.
func (s *Store) SetBeforeCommit(f func()) { s.beforeCommit = f }
