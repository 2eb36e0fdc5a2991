package store

// RankedMax lets tests lower the number of matches a relevance order ranks.
var RankedMax = &rankedMax

// SetBeforeCommit makes every write transaction of s run f between its
// change-feed insert and its commit.
func (s *Store) SetBeforeCommit(f func()) { s.beforeCommit = f }

// WalkBudget lets tests lower the rows a text search in an index order
// walks before it sorts its matches.
var WalkBudget = &walkBudget
