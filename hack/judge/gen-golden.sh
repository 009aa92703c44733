#!/usr/bin/env bash
# Regenerates kayenta/judge/testdata/golden/*.json from R (see gen-golden.R).
# Needs Rscript (Debian: apt-get install -y r-base-core). CI does not run this;
# the Go tests use the committed files. The output is deterministic (fixed seed).
set -euo pipefail
if ! command -v Rscript >/dev/null 2>&1; then
  echo "gen-golden: Rscript not found; install R (apt-get install -y r-base-core)" >&2
  exit 1
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
Rscript --vanilla hack/judge/gen-golden.R kayenta/judge/testdata/golden
