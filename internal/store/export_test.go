package store

// RankedMax lets tests lower the number of matches a relevance order ranks.
var RankedMax = &rankedMax
