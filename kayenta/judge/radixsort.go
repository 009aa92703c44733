package judge

import (
	"math"
	"slices"
)

// radixSorter sorts float64 slices in ascending order with an LSD radix sort on
// their IEEE-754 bit patterns, about four times faster than slices.Sort for the
// judge's sample sizes. It reuses its buffers. Equal values keep no particular
// order; -0 sorts before +0, which compare equal anyway. NaNs (which the callers
// never pass) end up at one end or the other by sign.
type radixSorter struct {
	keys, tmp []uint64
}

const radixMin = 128 // below this, slices.Sort is as fast

func (s *radixSorter) sort(a []float64) {
	n := len(a)
	if n < radixMin {
		slices.Sort(a)
		return
	}
	if cap(s.keys) < n {
		s.keys = make([]uint64, n+n/2)
		s.tmp = make([]uint64, n+n/2)
	}
	keys, tmp := s.keys[:n], s.tmp[:n]
	for i, v := range a {
		k := math.Float64bits(v)
		// Map to an unsigned order: flip all bits of negatives, the sign bit of the rest.
		k ^= uint64(int64(k)>>63) | 1<<63
		keys[i] = k
	}
	// All eight digit histograms in one pass.
	var count [8][256]int32
	for _, k := range keys {
		count[0][byte(k)]++
		count[1][byte(k>>8)]++
		count[2][byte(k>>16)]++
		count[3][byte(k>>24)]++
		count[4][byte(k>>32)]++
		count[5][byte(k>>40)]++
		count[6][byte(k>>48)]++
		count[7][byte(k>>56)]++
	}
	for d := range 8 {
		c := &count[d]
		shift := uint(8 * d)
		if int(c[byte(keys[0]>>shift)]) == n {
			continue // every key has the same digit here
		}
		var sum int32
		for b, v := range c {
			c[b] = sum
			sum += v
		}
		for _, k := range keys {
			b := byte(k >> shift)
			tmp[c[b]] = k
			c[b]++
		}
		keys, tmp = tmp, keys
	}
	for i, k := range keys {
		k ^= uint64(int64(^k)>>63) | 1<<63
		a[i] = math.Float64frombits(k)
	}
}
