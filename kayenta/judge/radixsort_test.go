package judge

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortMatchesSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 1, -1, 1e-310, -1e-310}
	var s radixSorter
	for _, n := range []int{0, 1, 2, 127, 128, 129, 500, 1000, 4000} {
		for kind := 0; kind < 4; kind++ {
			a := make([]float64, n)
			for i := range a {
				switch kind {
				case 0:
					a[i] = rng.NormFloat64() * 1e3
				case 1:
					a[i] = float64(rng.IntN(5) - 2) // ties and negatives
				case 2:
					a[i] = special[rng.IntN(len(special))]
				default:
					a[i] = math.Float64frombits(rng.Uint64() &^ (0x7ff << 52)) // subnormals of both signs
				}
			}
			got, want := slices.Clone(a), slices.Clone(a)
			s.sort(got)
			slices.Sort(want)
			// -0 and +0 compare equal; compare as numbers, then check ascending bits order.
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d kind=%d: radix sort differs from slices.Sort", n, kind)
			}
			if !slices.IsSorted(got) {
				t.Fatalf("n=%d kind=%d: not sorted", n, kind)
			}
		}
	}
	a := []float64{3, 2, 1}
	if s.sort(a); !slices.Equal(a, []float64{1, 2, 3}) {
		t.Errorf("small slice: %v", a)
	}
}
