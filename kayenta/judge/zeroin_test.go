package judge

import (
	"math"
	"testing"
)

// TestZeroinMatchesR compares the zeroin port with R 4.2.2's uniroot on smooth,
// step and slowly converging functions, bit for bit, including the iteration
// count and the estimated precision. R's values come from:
//
//	uniroot(function(x) x^2 - 2, c(0, 2), tol = 1e-4)
//	uniroot(function(x) cos(x) - x, c(-1, 3), tol = 1e-10)
//	uniroot(function(x) ifelse(x < 0.3, -1, 1), c(0, 1), tol = 1e-4)
//	uniroot(function(x) (x - 1)^3, c(-2, 5), tol = 1e-6)
//	uniroot(function(x) (x - 1)^3, c(-2, 5), tol = 1e-12, maxiter = 5)  # not converged
func TestZeroinMatchesR(t *testing.T) {
	cube := func(x float64) float64 { d := x - 1; return d * d * d }
	tests := []struct {
		name   string
		f      func(float64) float64
		lo, hi float64
		tol    float64
		maxit  int
		root   float64
		iter   int
		prec   float64
	}{
		{"sqrt2", func(x float64) float64 { return x*x - 2 }, 0, 2, 1e-4, 1000, 1.4142133199955025, 6, 5.0000000000549605e-05},
		{"cos", func(x float64) float64 { return math.Cos(x) - x }, -1, 3, 1e-10, 1000, 0.73908513321526159, 8, 5.0000337203925938e-11},
		{"step", func(x float64) float64 {
			if x < 0.3 {
				return -1
			}
			return 1
		}, 0, 1, 1e-4, 1000, 0.29998779296875, 14, 6.103515625e-05},
		{"cube", cube, -2, 5, 1e-6, 1000, 0.99999988095561865, 48, 5.0000000040295589e-07},
		{"not converged", cube, -2, 5, 1e-12, 5, 1.5721526798727787, -1, 0.99708929752874709},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, iter, prec := zeroin2(tc.lo, tc.hi, tc.f(tc.lo), tc.f(tc.hi), tc.f, tc.tol, tc.maxit)
			if root != tc.root || iter != tc.iter || prec != tc.prec {
				t.Errorf("zeroin2 = (%.17g, %d, %.17g), R (%.17g, %d, %.17g)", root, iter, prec, tc.root, tc.iter, tc.prec)
			}
		})
	}
	if r, it, _ := zeroin2(1, 2, 0, 5, nil, 1e-4, 10); r != 1 || it != 0 {
		t.Errorf("root at the lower end: %v %d", r, it)
	}
	if r, it, _ := zeroin2(1, 2, -5, 0, nil, 1e-4, 10); r != 2 || it != 0 {
		t.Errorf("root at the upper end: %v %d", r, it)
	}
	// Non-finite values are clamped as in R's fcn2 and the search goes on.
	r, _, _ := zeroin2(0, 1, math.Inf(-1), 1, func(x float64) float64 {
		if x < 0.5 {
			return math.Inf(-1)
		}
		return math.NaN()
	}, 1e-4, 1000)
	if math.Abs(r-0.5) > 1e-4 {
		t.Errorf("clamped search ended at %v", r)
	}
}
