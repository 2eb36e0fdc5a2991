package benchdata

import (
	"math"
	"math/rand/v2"
)

// Zipf draws words with probability proportional to 1/rank^s: the first
// words of the list ("association", "solidaire") are in a large share of
// names, as in real data, and the tail is rare.
type Zipf struct {
	words []string
	cum   []float64
}

// NewZipf prepares the draws of words (most frequent first) with exponent s.
func NewZipf(words []string, s float64) *Zipf {
	z := &Zipf{words: words, cum: make([]float64, len(words))}
	total := 0.0
	for i := range words {
		total += 1 / math.Pow(float64(i+1), s)
		z.cum[i] = total
	}
	for i := range z.cum {
		z.cum[i] /= total
	}
	return z
}

// Pick draws one word.
func (z *Zipf) Pick(rng *rand.Rand) string {
	u := rng.Float64()
	lo, hi := 0, len(z.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cum[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return z.words[lo]
}
