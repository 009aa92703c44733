# gen-golden.R — R reference data for kayenta/judge.
#
# Usage: Rscript hack/judge/gen-golden.R [OUTDIR]   (default kayenta/judge/testdata/golden)
#   or:  hack/judge/gen-golden.sh
#
# Writes two JSON files with a fixed seed, so reruns on the same R version give
# byte-identical output:
#
#   wilcox.json  random two-sample cases (sizes 1..1000; continuous data, ties,
#                counts, zero-inflated data, constants, huge and tiny scales) and
#                what R's wilcox.test(x, y, conf.int = TRUE, exact = FALSE,
#                correct = TRUE, conf.level = 0.98) returns for them: confidence
#                limits, estimate, p-value, statistic, or the error R stops with.
#
#   judge.json   random metric pairs with NaNs and outliers plus metric settings,
#                and the outcome of NetflixACAJudge-v1.0's per-metric rules
#                computed here in R on top of wilcox.test: preprocessing (NaN
#                remove/replace, IQR outlier removal with the R-7 percentile of
#                Apache Commons Math), summary statistics, confidence interval,
#                estimate, mean ratio, CLES and the classification.
#
# Doubles are written with sprintf("%.17g"), so they round-trip exactly; NaN is
# the string "NaN". Only base R is needed (no JSON package).

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else file.path("kayenta", "judge", "testdata", "golden")
dir.create(outdir, recursive = TRUE, showWarnings = FALSE)

CONF <- 0.98
TOL <- 0.25

# ---------------------------------------------------------------- JSON helpers
num <- function(v) {
  out <- sprintf("%.17g", v)
  out[is.nan(v)] <- "\"NaN\""
  out[is.na(v) & !is.nan(v)] <- "null"
  out[is.infinite(v) & v > 0] <- "\"Infinity\""
  out[is.infinite(v) & v < 0] <- "\"-Infinity\""
  out
}
arr <- function(v) paste0("[", paste(num(v), collapse = ","), "]")
str <- function(s) paste0("\"", gsub("([\"\\\\])", "\\\\\\1", s), "\"")
bool <- function(b) if (isTRUE(b)) "true" else "false"
obj <- function(...) {
  kv <- list(...)
  kv <- kv[!vapply(kv, is.null, logical(1))]
  paste0("{", paste(paste0(str(names(kv)), ":", unlist(kv)), collapse = ","), "}")
}

# ---------------------------------------------------------------- data
set.seed(20250408)

sizes <- c(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 49, 50, 51, 60, 75, 100, 150, 200, 300, 500, 1000)
size_weights <- c(4, 4, 4, 3, 4, 3, 3, 5, 3, 4, 5, 3, 5, 3, 3, 3, 3, 2, 2, 4, 2, 2, 1.5, 1, 0.5)
rsize <- function() sample(sizes, 1, prob = size_weights)

# gen returns one sample of n values of the given kind; shift moves it.
gen <- function(kind, n, shift) {
  switch(kind,
    normal     = rnorm(n, 10 + shift, 2),
    normal6    = signif(rnorm(n, 100 + 10 * shift, 15), 6),
    lognormal  = exp(rnorm(n, shift / 4, 1)),
    exponential = rexp(n, 1 / (1 + abs(shift))),
    counts     = rpois(n, 2 + shift),
    rare       = rpois(n, max(0.05, 0.3 + 0.2 * shift)),
    zeroinfl   = ifelse(runif(n) < 0.7, 0, rexp(n, 1 / (1 + abs(shift)))),
    rounded    = round(rnorm(n, 5 + shift / 2, 1), 1),
    smallint   = sample(0:3, n, replace = TRUE) + shift %/% 2,
    const      = rep(3 + shift, n),
    huge       = 1e9 + rnorm(n, shift * 1e3, 1e3),
    tiny       = 1e-9 * rnorm(n, 1 + shift / 5, 0.3),
    negative   = -rexp(n, 1) - shift,
    latency    = signif(rgamma(n, 2, 1 / (0.05 * (1 + shift / 10))), 8),
    rate       = 0.0333 + rnorm(n, shift * 1e-6, 1e-5),
    stop("unknown kind ", kind))
}
kinds <- c("normal", "normal6", "lognormal", "exponential", "counts", "rare", "zeroinfl",
           "rounded", "smallint", "const", "huge", "tiny", "negative", "latency", "rate")
shifts <- c(0, 0, 0, 0.1, 0.5, 1, 2, 5, -0.5, -1, -2)

wilcox <- function(x, y) {
  tryCatch({
    r <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE, conf.level = CONF))
    list(ok = TRUE, lower = r$conf.int[1], upper = r$conf.int[2], estimate = unname(r$estimate),
         p = r$p.value, w = unname(r$statistic))
  }, error = function(e) list(ok = FALSE, msg = conditionMessage(e)))
}

# ---------------------------------------------------------------- wilcox.json
wcase <- function(name, x, y) {
  r <- wilcox(x, y)
  if (r$ok) {
    obj(name = str(name), x = arr(x), y = arr(y),
        ciLower = num(r$lower), ciUpper = num(r$upper), estimate = num(r$estimate),
        pValue = num(r$p), statistic = num(r$w))
  } else {
    obj(name = str(name), x = arr(x), y = arr(y), error = str(r$msg))
  }
}

wcases <- character()
i <- 0
add <- function(name, x, y) {
  i <<- i + 1
  wcases[i] <<- wcase(sprintf("%03d-%s", i, name), x, y)
}
# Fixed corner cases first.
add("both-constant", rep(2, 5), rep(1, 7))
add("singletons", 3, 1)
add("one-vs-many", 1, 2:60)
add("many-vs-one", 2:60, 1)
add("kayenta-example", c(10, 20, 30, 40), c(1, 2, 3, 4))
add("identical", c(1, 2, 3, 4, 5), c(5, 4, 3, 2, 1))
add("leading-zero", c(0, 1, 1, 1, 1), c(1, 1, 1, 1, 1))
add("sparse-errors-vs-zero", c(0, 1, 2, 1, 0, 0), rep(0, 6))
add("issue-6278", c(rep(100, 7), 1, 1, 1), rep(1, 10))
add("constant-vs-varied", rep(5, 20), rnorm(30, 5, 1))
add("large-1000", rnorm(1000, 10.2, 2), rnorm(1000, 10, 2))
add("large-1000-ties", rpois(1000, 3), rpois(1000, 3.1))
add("large-1000-zeroinfl", gen("zeroinfl", 1000, 0.3), gen("zeroinfl", 1000, 0))
for (k in 1:500) {
  kx <- sample(kinds, 1)
  ky <- if (runif(1) < 0.8) kx else sample(kinds, 1)
  nx <- rsize()
  ny <- if (runif(1) < 0.5) nx else rsize()
  s <- sample(shifts, 1)
  add(sprintf("%s%d-vs-%s%d-shift%g", kx, nx, ky, ny, s), gen(kx, nx, s), gen(ky, ny, 0))
}
writeLines(paste0("{\"generator\":\"hack/judge/gen-golden.R\",\"r\":", str(R.version.string),
                  ",\"confLevel\":", num(CONF),
                  ",\"alphaHalf\":", num((1 - CONF) / 2),
                  ",\"zLower\":", num(qnorm((1 - CONF) / 2, lower.tail = FALSE)),
                  ",\"cases\":[\n",
                  paste(wcases, collapse = ",\n"), "\n]}"),
           file.path(outdir, "wilcox.json"))

# ---------------------------------------------------------------- judge.json
# Apache Commons Math Percentile, EstimationType.R_7, on a sorted sample.
pct <- function(s, p) {
  n <- length(s)
  q <- p / 100
  pos <- if (q == 0) 0 else if (q == 1) n else 1 + (n - 1) * q
  if (pos < 1) return(s[1])
  if (pos >= n) return(s[n])
  f <- floor(pos)
  lo <- s[f]
  hi <- s[f + 1]
  lo + (pos - f) * (hi - lo)
}

preprocess <- function(v, nan, outliers, factor) {
  if (nan == "replace") v[is.nan(v)] <- 0 else v <- v[!is.nan(v)]
  if (outliers == "remove" && length(v) > 0) {
    s <- sort(v)
    p25 <- pct(s, 25)
    p75 <- pct(s, 75)
    iqr <- p75 - p25
    lo <- min(pct(s, 1), p25 - factor * iqr)
    hi <- max(pct(s, 99), p75 + factor * iqr)
    v <- v[!(v < lo | v > hi)]
  }
  v
}

stats <- function(v) {
  if (length(v) == 0) return(obj(min = "0", max = "0", mean = "0", std = "0", count = "0"))
  obj(min = num(min(v)), max = num(max(v)), mean = num(mean(v)),
      std = num(if (length(v) > 1) sd(v) else 0), count = as.character(length(v)))
}

# classify follows MannWhitneyClassifier.classify; NULL when both sides are
# constant (Kayenta adds random noise there; the Go tests cover that case).
classify <- function(name, ctrl, exp, st) {
  res <- function(cls, reason = NULL, dev = 1, critical = FALSE, r = NULL, effect = NULL) {
    list(cls = cls, reason = reason, dev = dev, critical = critical, r = r, effect = effect)
  }
  if (length(exp) == 0 || length(ctrl) == 0) {
    if (st$nan == "replace") return(res("Pass"))
    reason <- paste("Missing data for", name)
    if (st$mustHaveData && !st$critical) return(res("NodataFailMetric", reason))
    return(res("Nodata", reason, critical = st$critical))
  }
  if (length(exp) == length(ctrl) && all(sort(exp) == sort(ctrl)))
    return(res("Pass", "The Canary and Baseline data are identical"))
  if (length(unique(c(exp, ctrl))) == 1) return(res("Pass"))
  if (length(unique(exp)) == 1 && length(unique(ctrl)) == 1) return(NULL)
  r <- wilcox(exp, ctrl)
  if (!r$ok) return(res("Error", "Metric Classification Failed"))
  bound <- TOL * abs(r$estimate)
  me <- mean(exp)
  mc <- mean(ctrl)
  dev <- if (me == 0 || mc == 0) NaN else me / mc
  effect <- if (st$measure == "cles") {
    m <- length(exp)
    n <- length(ctrl)
    (2 * sum(rank(c(exp, ctrl))[seq_len(m)]) - m * (m + 1)) / (2 * n * m)
  } else dev
  high <- st$direction != "decrease" && r$lower > bound && (is.nan(effect) || effect >= st$allowedIncrease)
  low <- st$direction != "increase" && r$upper < -bound && (is.nan(effect) || effect <= st$allowedDecrease)
  cls <- if (high) "High" else if (low) "Low" else "Pass"
  reason <- if (cls == "Pass") NULL else paste(name, "was classified as", cls)
  critical <- FALSE
  if (st$critical && cls == "High" && (is.nan(effect) || effect >= st$criticalIncrease)) {
    critical <- TRUE
    reason <- paste("The metric", name, "was classified as High (Critical)")
  } else if (st$critical && cls == "Low" && (is.nan(effect) || effect <= st$criticalDecrease)) {
    critical <- TRUE
    reason <- paste("The metric", name, "was classified as Low (Critical)")
  }
  res(cls, reason, dev, critical, r, effect)
}

settings <- function() {
  measure <- sample(c("meanRatio", "cles"), 1, prob = c(3, 1))
  d <- if (measure == "cles") 0.5 else 1
  st <- list(direction = sample(c("either", "increase", "decrease"), 1, prob = c(3, 1, 1)),
             nan = sample(c("remove", "replace"), 1),
             outliers = sample(c("keep", "remove"), 1),
             factor = sample(c(3, 1.5), 1),
             critical = runif(1) < 0.25,
             mustHaveData = runif(1) < 0.25,
             measure = measure,
             allowedIncrease = d, allowedDecrease = d, criticalIncrease = d, criticalDecrease = d)
  if (runif(1) < 0.5) {
    if (measure == "cles") {
      st$allowedIncrease <- sample(c(0.55, 0.6, 0.7), 1)
      st$allowedDecrease <- sample(c(0.45, 0.4, 0.3), 1)
    } else {
      st$allowedIncrease <- sample(c(1.01, 1.05, 1.2, 2), 1)
      st$allowedDecrease <- sample(c(0.99, 0.95, 0.8, 0.5), 1)
    }
    st$criticalIncrease <- st$allowedIncrease * sample(c(1, 1.1), 1)
    st$criticalDecrease <- st$allowedDecrease * sample(c(1, 0.9), 1)
  }
  st
}

withNaN <- function(v) {
  u <- runif(1)
  if (u < 0.5) return(v)
  if (u < 0.55) return(rep(NaN, length(v)))
  v[runif(length(v)) < runif(1, 0, 0.3)] <- NaN
  v
}

withOutliers <- function(v) {
  if (runif(1) < 0.6 || length(v) < 5) return(v)
  k <- sample(1:3, 1)
  idx <- sample(seq_along(v), min(k, length(v)))
  v[idx] <- v[idx] * sample(c(10, 50, -20), 1) + sample(c(100, 1000), 1)
  v
}

jcases <- character()
j <- 0
while (j < 250) {
  kind <- sample(setdiff(kinds, "const"), 1)
  nx <- rsize()
  ny <- if (runif(1) < 0.6) nx else rsize()
  s <- sample(c(0, 0, 0.5, 1, 2, 5, -0.5, -1, -2), 1)
  expRaw <- withNaN(withOutliers(gen(kind, nx, s)))
  ctrlRaw <- withNaN(withOutliers(gen(kind, ny, 0)))
  st <- settings()
  name <- sprintf("m%03d-%s", j + 1, kind)
  exp <- preprocess(expRaw, st$nan, st$outliers, st$factor)
  ctrl <- preprocess(ctrlRaw, st$nan, st$outliers, st$factor)
  cl <- classify(name, ctrl, exp, st)
  if (is.null(cl)) next
  j <- j + 1
  settingsJSON <- obj(direction = str(st$direction), nanStrategy = str(st$nan),
                      critical = bool(st$critical), mustHaveData = bool(st$mustHaveData),
                      effectSize = obj(measure = str(st$measure),
                                       allowedIncrease = num(st$allowedIncrease),
                                       allowedDecrease = num(st$allowedDecrease),
                                       criticalIncrease = num(st$criticalIncrease),
                                       criticalDecrease = num(st$criticalDecrease)),
                      outliers = obj(strategy = str(st$outliers), outlierFactor = num(st$factor)))
  test <- if (!is.null(cl$r)) obj(ciLower = num(cl$r$lower), ciUpper = num(cl$r$upper),
                                  estimate = num(cl$r$estimate), pValue = num(cl$r$p),
                                  effectSize = num(cl$effect)) else NULL
  jcases[j] <- obj(name = str(name), canary = settingsJSON,
                   control = arr(ctrlRaw), experiment = arr(expRaw),
                   controlStats = stats(ctrl), experimentStats = stats(exp),
                   classification = str(cl$cls),
                   reason = if (is.null(cl$reason)) NULL else str(cl$reason),
                   critical = bool(cl$critical), ratio = num(cl$dev), test = test)
}
writeLines(paste0("{\"generator\":\"hack/judge/gen-golden.R\",\"r\":", str(R.version.string),
                  ",\"tolerance\":", num(TOL), ",\"confLevel\":", num(CONF), ",\"cases\":[\n",
                  paste(jcases, collapse = ",\n"), "\n]}"),
           file.path(outdir, "judge.json"))

cat(sprintf("wrote %d wilcox cases and %d judge cases to %s\n", length(wcases), length(jcases), outdir))
