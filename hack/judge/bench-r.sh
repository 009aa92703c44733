#!/usr/bin/env bash
# bench-r.sh — time R's wilcox.test per metric pair, on the same kind of data
# as BenchmarkJudge1000x1000 (1,000 points per side; a mix of log-normal data
# with and without a shift, Poisson counts and zero-inflated error counts), so
# the Go judge's per-pair time can be compared with R's.
#
# Usage: hack/judge/bench-r.sh [PAIRS] [POINTS]     (defaults: 200 1000)
#
# It prints R's milliseconds per pair. It exits 0 with "skipped: Rscript not
# found" when R is not installed (Debian: apt-get install -y r-base-core).
# Compare with:
#   go test ./kayenta/judge -run '^$' -bench 'Judge1000x1000|MannWhitney1000' -cpu 1
set -euo pipefail
pairs="${1:-200}"
points="${2:-1000}"
if ! command -v Rscript >/dev/null 2>&1; then
  echo "skipped: Rscript not found"
  exit 0
fi
Rscript --vanilla - "$pairs" "$points" <<'REOF'
args <- as.integer(commandArgs(trailingOnly = TRUE))
pairs <- args[1]
points <- args[2]
set.seed(1)
gen <- function(i, shift) {
  v <- switch(i %% 4 + 1,
    100 * (1 + shift) * exp(0.2 * rnorm(points)),
    100 * (1 + shift) * exp(0.2 * rnorm(points)),
    rpois(points, 4 * (1 + shift)),
    ifelse(runif(points) < 0.8, 0, rexp(points) * (1 + shift)))
  v[runif(points) < 0.01] <- NaN
  v
}
data <- lapply(seq_len(pairs) - 1, function(i) {
  shift <- c(0, 0, 0.02, 0.1, -0.05)[i %% 5 + 1]
  list(x = gen(i, shift), y = gen(i, 0))
})
run <- function(d) suppressWarnings(wilcox.test(d$x[!is.nan(d$x)], d$y[!is.nan(d$y)],
  conf.int = TRUE, exact = FALSE, correct = TRUE, conf.level = 0.98))
invisible(run(data[[1]])) # warm up
t <- system.time(for (d in data) run(d))[["elapsed"]]
cat(sprintf("%s: wilcox.test(conf.int=TRUE, exact=FALSE, correct=TRUE, conf.level=0.98)\n", R.version.string))
cat(sprintf("%d pairs x %d points per side: %.3f s total, %.2f ms per pair\n", pairs, points, t, 1000 * t / pairs))
REOF
