package judge

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// rootTol and rootMaxIter are the settings wilcox.test passes to uniroot
// (tol.root = 1e-4, maxiter = 1000).
const (
	rootTol     = 1e-4
	rootMaxIter = 1000
)

// MannWhitneyResult is the outcome of a two-sample Mann-Whitney (Wilcoxon rank
// sum) test with a confidence interval for the location shift of x relative to y.
type MannWhitneyResult struct {
	Lower     float64 // lower confidence limit
	Upper     float64 // upper confidence limit (can be below Lower with heavy ties, as in R)
	Estimate  float64 // "difference in location" (Hodges–Lehmann-type shift)
	PValue    float64 // two-sided, normal approximation with tie and continuity correction
	Statistic float64 // W = rank sum of x − nx(nx+1)/2
}

// ErrAllTied is returned when every pooled observation is tied, so the
// normal approximation has zero variance.
var ErrAllTied = errors.New("cannot compute confidence interval when all observations are tied")

// MannWhitney computes what R's
//
//	wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE, conf.level = confLevel)
//
// returns (R 4.2): the normal approximation with tie correction and continuity
// correction, the confidence limits found by uniroot(tol = 1e-4) on the
// standardized rank statistic — with R's shortcut to the search interval's
// endpoints [min x − max y, max x − min y] when the statistic does not change sign
// in it — and the estimate found by uniroot without continuity correction.
// The root finder is a port of R's zeroin, so results agree with R to the last
// bits in practice.
//
// Unlike R it rejects NaN and infinite values instead of dropping NaNs (the judge
// never passes them), and it returns an error wherever R stops with one.
func MannWhitney(x, y []float64, confLevel float64) (MannWhitneyResult, error) {
	var w mwWorkspace
	return w.test(x, y, confLevel)
}

// mwWorkspace holds sorted copies of the samples and scratch buffers, reused
// across tests so the hot loop does not allocate.
type mwWorkspace struct {
	xs []float64 // sorted x
	ys []float64 // sorted y, inside ysS
	// ysS is -Inf, sorted y, +Inf; xdS is -Inf, x - d, +Inf (the sentinels
	// end the merges).
	ysS, xdS []float64
	// Run-length form of the sorted samples: distinct values and their counts.
	xv, yv, xdv []float64
	xc, yc      []int
	// tiesY is Σ(t³ − t) over the tie groups within y alone.
	tiesY  float64
	sorter radixSorter
}

func (w *mwWorkspace) load(x, y []float64) {
	w.xs = append(growFloats(w.xs, len(x)), x...)
	w.sorter.sort(w.xs)
	w.ysS = append(append(growFloats(w.ysS, len(y)+2), math.Inf(-1)), y...)
	w.ys = w.ysS[1 : len(y)+1]
	w.sorter.sort(w.ys)
	w.ysS = append(w.ysS, math.Inf(1))
	w.xdS = growFloats(w.xdS, len(x)+2)[:len(x)+2]
	w.xdS[0], w.xdS[len(x)+1] = math.Inf(-1), math.Inf(1)
	w.xv, w.xc = runs(w.xv, w.xc, w.xs)
	w.yv, w.yc = runs(w.yv, w.yc, w.ys)
	w.xdv = growFloats(w.xdv, len(w.xv))[:len(w.xv)]
	w.tiesY = 0
	for _, c := range w.yc {
		if t := float64(c); c > 1 {
			w.tiesY += float64(float64(t*t)*t) - t
		}
	}
}

// runs writes the distinct values of the sorted slice s and their counts.
func runs(vals []float64, counts []int, s []float64) ([]float64, []int) {
	vals = growFloats(vals, len(s))
	if cap(counts) < len(s) {
		counts = make([]int, 0, len(s)+len(s)/2+8)
	}
	counts = counts[:0]
	for j := 0; j < len(s); {
		k := j + 1
		for k < len(s) && s[k] == s[j] {
			k++
		}
		vals = append(vals, s[j])
		counts = append(counts, k-j)
		j = k
	}
	return vals, counts
}

// rankStat is the rank information of c(x - d, y) that wilcox.test uses.
type rankStat struct {
	twiceRankSumX int64   // 2 × Σ average ranks of the x - d values
	ties          float64 // Σ (t³ − t) over tie groups
}

// rankStats ranks c(xs - d, ys) with average ranks for ties, as R's rank()
// does, from the sorted samples in linear time. xs[i] - d keeps the order of xs
// because floating-point subtraction is monotone.
//
// When no x - d value ties with another value (continuous data), it is a
// branch-free merge: 2·Σ rank(x) = nx(nx+1) + 2·Σᵢ #{y < xᵢ - d}, and the tie
// term is that of y alone. Otherwise rankStatsRuns groups equal values exactly,
// working on runs of equal values, which is fast for count data.
func (w *mwWorkspace) rankStats(d float64) rankStat {
	nx, ny := len(w.xs), len(w.ys)
	if len(w.xv) < nx || nx == 0 {
		return w.rankStatsRuns(d) // x has ties of its own
	}
	xdS, ysS := w.xdS[:nx+2], w.ysS[:ny+2]
	xTie := 0
	prev := math.NaN()
	for i, v := range w.xs {
		t := v - d
		xdS[i+1] = t
		if t == prev {
			xTie = 1
		}
		prev = t
	}
	if xTie == 0 && !math.IsInf(xdS[1], 0) && !math.IsInf(xdS[nx], 0) {
		if sumLt, ok := mergeCountBelow(xdS, ysS, nx, ny); ok {
			return rankStat{twiceRankSumX: int64(nx)*int64(nx+1) + 2*sumLt, ties: w.tiesY}
		}
	}
	return w.rankStatsRuns(d)
}

// mergeCountBelow returns Σᵢ #{y < xᵢ} for sorted, finite x and sorted y, both
// with -Inf and +Inf sentinels, and whether no x equals a y. It merges from both
// ends at once (two independent chains keep the CPU busy): the front takes x
// first on equal values, so it has passed exactly the y below xᵢ when it takes
// xᵢ; the back takes y first on equal values, so the y left are those below xᵢ.
// Each side detects the equalities it meets, and together they see any x equal
// to a y. Comparisons turn into conditional moves, not branches.
func mergeCountBelow(xdS, ysS []float64, nx, ny int) (int64, bool) {
	var front, back, cross int
	i, j := 1, 1     // front positions
	i2, j2 := nx, ny // back positions
	half := (nx + ny) / 2
	for k := half; k > 0; k-- {
		a, b := xdS[i], ysS[j]
		c, e := 0, 0
		if a <= b {
			c = 1
		}
		if a == b {
			e = 1
		}
		front += c * (j - 1)
		cross |= c & e
		i += c
		j += 1 - c

		a2, b2 := xdS[i2], ysS[j2]
		c2, e2 := 0, 0
		if a2 > b2 {
			c2 = 1
		}
		if a2 == b2 {
			e2 = 1
		}
		back += c2 * j2
		cross |= (1 - c2) & e2
		i2 -= c2
		j2 -= 1 - c2
	}
	if (nx+ny)%2 == 1 { // one element left between the two ends
		a, b := xdS[i], ysS[j]
		if a <= b {
			front += j - 1
			if a == b {
				cross = 1
			}
		}
	}
	return int64(front + back), cross == 0
}

// rankStatsRuns merges the runs of equal values of x - d and y, grouping every
// set of equal values (including ties that rounding creates in x - d).
func (w *mwWorkspace) rankStatsRuns(d float64) rankStat {
	xv, xc, yv, yc := w.xv, w.xc, w.yv, w.yc
	xdv := w.xdv[:len(xv)]
	for r, v := range xv {
		xdv[r] = v - d
	}
	rx, ry := len(xdv), len(yv)
	var s2 int64
	var ties float64
	i, j, pos := 0, 0, 0
	for i < rx || j < ry {
		var v float64
		switch {
		case j >= ry:
			v = xdv[i]
		case i >= rx:
			v = yv[j]
		case xdv[i] <= yv[j]:
			v = xdv[i]
		default:
			v = yv[j]
		}
		kx := 0
		for i < rx && xdv[i] == v {
			kx += xc[i]
			i++
		}
		ky := 0
		for j < ry && yv[j] == v {
			ky += yc[j]
			j++
		}
		t := kx + ky
		if t == 0 {
			// Only NaN can compare unequal to itself; the callers exclude it.
			panic("judge: NaN reached the rank computation")
		}
		if kx > 0 {
			// Average rank of the group is pos + (t+1)/2; twice that is exact.
			s2 += int64(kx) * int64(2*pos+t+1)
		}
		if t > 1 {
			tf := float64(t)
			ties += float64(float64(tf*tf)*tf) - tf
		}
		pos += t
	}
	return rankStat{twiceRankSumX: s2, ties: ties}
}

// zStat turns rank statistics into (dz - correction)/sigma, R's W(d).
func (w *mwWorkspace) zStat(r rankStat, correct bool) float64 {
	nx, ny := float64(len(w.xs)), float64(len(w.ys))
	dz := float64(r.twiceRankSumX)/2 - nx*(nx+1)/2 - nx*ny/2
	corr := 0.0
	if correct {
		switch {
		case dz > 0:
			corr = 0.5
		case dz < 0:
			corr = -0.5
		}
	}
	sigma := math.Sqrt(float64((nx * ny / 12) * ((nx + ny + 1) - r.ties/((nx+ny)*(nx+ny-1)))))
	return (dz - corr) / sigma
}

// W is R's W(d) closure for shift d.
func (w *mwWorkspace) W(d float64, correct bool) float64 {
	return w.zStat(w.rankStats(d), correct)
}

var errNonFinite = errors.New("the samples contain NaN or infinite values")

// zQuantiles returns qnorm(alpha/2, lower.tail = FALSE) and qnorm(alpha/2) for
// alpha = 1 - confLevel, as wilcox.test computes them. R's qnorm is symmetric
// for the two tails, so one evaluation gives both.
func zQuantiles(confLevel float64) (zLower, zUpper float64) {
	alpha := 1 - confLevel
	q := normalQuantile(alpha / 2)
	return -q, q
}

// normalQuantile is qnorm. gonum implements the same algorithm as R (Wichura's
// AS 241); its result can differ from R's in the last bit because Go's math.Log
// is not always correctly rounded, which moves the confidence limits by about
// 1e-15. Tests swap in R's exact quantile to check the rest bit for bit.
var normalQuantile = distuv.UnitNormal.Quantile

func (w *mwWorkspace) test(x, y []float64, confLevel float64) (MannWhitneyResult, error) {
	var res MannWhitneyResult
	if len(x) == 0 {
		return res, errors.New("not enough (non-missing) 'x' observations")
	}
	if len(y) == 0 {
		return res, errors.New("not enough 'y' observations")
	}
	if !allFinite(x) || !allFinite(y) {
		return res, errNonFinite
	}
	w.load(x, y)
	return w.testLoaded(confLevel)
}

// testLoaded runs the test on the samples already loaded (non-empty, finite).
func (w *mwWorkspace) testLoaded(confLevel float64) (MannWhitneyResult, error) {
	var res MannWhitneyResult
	if !(confLevel > 0 && confLevel < 1) {
		return res, fmt.Errorf("conf.level must be a single number between 0 and 1, got %v", confLevel)
	}
	nx := float64(len(w.xs))

	// Test statistic and p-value at mu = 0.
	r0 := w.rankStats(0)
	res.Statistic = float64(r0.twiceRankSumX)/2 - nx*(nx+1)/2
	z := w.zStat(r0, true)
	res.PValue = 2 * math.Min(distuv.UnitNormal.CDF(z), distuv.UnitNormal.CDF(-z))

	mumin := w.xs[0] - w.ys[len(w.ys)-1]
	mumax := w.xs[len(w.xs)-1] - w.ys[0]
	if math.IsInf(mumin, 0) || math.IsInf(mumax, 0) {
		return res, errors.New("the search interval for the confidence limits is not finite")
	}

	// W at the endpoints, with (CI) and without (estimate) continuity correction.
	rMin, rMax := w.rankStats(mumin), w.rankStats(mumax)
	wMin, wMax := w.zStat(rMin, true), w.zStat(rMax, true)
	if math.IsNaN(wMin) || math.IsNaN(wMax) {
		return res, ErrAllTied
	}

	zl, zu := zQuantiles(confLevel)
	root := func(zq float64) (float64, error) {
		fLower := wMin - zq
		if fLower <= 0 {
			return mumin, nil
		}
		fUpper := wMax - zq
		if fUpper >= 0 {
			return mumax, nil
		}
		if !(mumin < mumax) {
			return 0, errors.New("lower < upper is not fulfilled")
		}
		v, _, _ := zeroin2(mumin, mumax, fLower, fUpper, func(d float64) float64 {
			return w.W(d, true) - zq
		}, rootTol, rootMaxIter)
		return v, nil
	}
	var err error
	if res.Lower, err = root(zl); err != nil {
		return res, err
	}
	if res.Upper, err = root(zu); err != nil {
		return res, err
	}

	// ESTIMATE: uniroot(W, lower = mumin, upper = mumax, tol = tol.root) with
	// correct <- FALSE, i.e. no continuity correction.
	if !(mumin < mumax) {
		return res, errors.New("lower < upper is not fulfilled")
	}
	fLower, fUpper := w.zStat(rMin, false), w.zStat(rMax, false)
	if math.IsNaN(fLower) || math.IsNaN(fUpper) {
		return res, ErrAllTied
	}
	if sign(fLower)*sign(fUpper) > 0 {
		return res, errors.New("f() values at end points not of opposite sign")
	}
	res.Estimate, _, _ = zeroin2(mumin, mumax, fLower, fUpper, func(d float64) float64 {
		return w.W(d, false)
	}, rootTol, rootMaxIter)
	return res, nil
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// growFloats returns buf[:0] with room for n values, reallocating with
// headroom so that slowly growing sizes do not reallocate every time.
func growFloats(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, 0, n+n/2+8)
	}
	return buf[:0]
}
