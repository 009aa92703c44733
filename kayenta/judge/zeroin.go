package judge

import "math"

// dblEpsilon is C's DBL_EPSILON.
const dblEpsilon = 2.220446049250313e-16

// zeroin2 is a faithful port of R's R_zeroin2 (src/library/stats/src/zeroin.c),
// the Brent root finder behind uniroot(). It searches [ax, bx] for a zero of f,
// given fa = f(ax) and fb = f(bx) of opposite signs, to within tol, using at
// most maxit further evaluations of f.
//
// It returns the root, the number of iterations used (-1 if it did not
// converge, like R) and R's estimated precision |c-b|.
//
// As in R's uniroot wrapper (fcn2 in optimize.c), a non-finite f value is
// replaced by ±math.MaxFloat64 (NaN counts as +) so the search can go on.
//
// Products that feed an addition are wrapped in float64() so the Go compiler
// cannot fuse them into FMA instructions (which it does on arm64): R's C code is
// compiled without FMA on amd64, and matching it bit for bit needs the same
// rounding.
func zeroin2(ax, bx, fa, fb float64, f func(float64) float64, tol float64, maxit int) (root float64, iter int, prec float64) {
	a, b := ax, bx
	c, fc := a, fa
	left := maxit + 1

	// First test if we have found a root at an endpoint.
	if fa == 0 {
		return a, 0, 0
	}
	if fb == 0 {
		return b, 0, 0
	}

	for left != 0 {
		left--
		prevStep := b - a // distance from the last but one to the last approximation
		var p, q float64  // interpolation step is p/q; the division is delayed

		if math.Abs(fc) < math.Abs(fb) {
			// Swap data for b to be the best approximation.
			a, b, c = b, c, b
			fa, fb, fc = fb, fc, fb
		}
		tolAct := float64(2*dblEpsilon*math.Abs(b)) + tol/2
		newStep := (c - b) / 2

		if math.Abs(newStep) <= tolAct || fb == 0 {
			return b, maxit - left, math.Abs(c - b) // acceptable approximation found
		}

		// Decide if the interpolation can be tried:
		// prevStep was large enough and in the true direction.
		if math.Abs(prevStep) >= tolAct && math.Abs(fa) > math.Abs(fb) {
			cb := c - b
			if a == c {
				// Only two distinct points: linear interpolation.
				t1 := fb / fa
				p = cb * t1
				q = 1.0 - t1
			} else {
				// Inverse quadratic interpolation.
				q = fa / fc
				t1 := fb / fc
				t2 := fb / fa
				p = t2 * (float64(cb*q*(q-t1)) - float64((b-a)*(t1-1.0)))
				q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
			}
			if p > 0 {
				q = -q // p was calculated with the opposite sign; make p positive
			} else {
				p = -p // and assign a possible minus to q
			}
			if p < float64(0.75*cb*q)-math.Abs(tolAct*q)/2 && // b+p/q falls in [b,c]
				p < math.Abs(prevStep*q/2) { // and isn't too large
				newStep = p / q
			}
			// Otherwise bisection reduces [b,c] more.
		}

		if math.Abs(newStep) < tolAct {
			// Adjust the step to be not less than the tolerance.
			if newStep > 0 {
				newStep = tolAct
			} else {
				newStep = -tolAct
			}
		}
		a, fa = b, fb // save the previous approximation
		b += newStep
		fb = finiteForZeroin(f(b))
		if (fb > 0 && fc > 0) || (fb < 0 && fc < 0) {
			// Adjust c for it to have a sign opposite to that of b.
			c, fc = a, fa
		}
	}
	// Failed.
	return b, -1, math.Abs(c - b)
}

// finiteForZeroin mirrors R's fcn2: -Inf becomes -DBL_MAX; NaN and +Inf become
// +DBL_MAX.
func finiteForZeroin(v float64) float64 {
	if math.IsInf(v, -1) {
		return -math.MaxFloat64
	}
	if math.IsNaN(v) || math.IsInf(v, 1) {
		return math.MaxFloat64
	}
	return v
}
