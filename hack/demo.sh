#!/usr/bin/env bash
# The main job on the embedded default: run the Kayenta blog post's
# `hal config canary` sequence with ctl in a scratch CTL_HOME, deploy the
# analysis service locally, and prove it works with `ctl canary smoke`: a
# healthy canary must pass and a faulty one fail. Needs nothing else running
# (no Prometheus, no S3, no cluster); everything is stopped at exit.
set -euo pipefail
ctl=${1:-bin/ctl}
ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
export CTL_HOME=$(mktemp -d "${TMPDIR:-/tmp}/ctl-demo.XXXXXX")
step() { printf '\n$ %s\n' "$*" >&2; "$@"; }
cleanup() {
  printf '\n$ %s\n' "ctl deploy clean --yes" >&2
  "$ctl" deploy clean --yes >&2 || true
}

echo "Scratch CTL_HOME=$CTL_HOME" >&2
step "$ctl" config canary enable
step "$ctl" config canary edit --default-judge NetflixACAJudge-v1.0
step "$ctl" config canary prometheus enable
# The blog's Prometheus need not exist: the smoke canaries use the embedded
# one (account ctl-smoke-prometheus, added by the local deployment).
step "$ctl" config canary prometheus account add my-prometheus --base-url http://prometheus.invalid:9090
step "$ctl" config canary aws enable
printf '\n$ %s\n' "ctl config canary aws account add my-s3 --bucket spin-bucket --endpoint s3.example.com --access-key-id ACCESS_ID --secret-access-key   (secret read from stdin)" >&2
echo "demo-secret-key" | "$ctl" config canary aws account add my-s3 --bucket spin-bucket \
  --endpoint s3.example.com --access-key-id ACCESS_ID --secret-access-key
# The blog's next step, `ctl config canary aws edit --s3-enabled=true`, would
# make s3.example.com the object store; it is left out so that the demo runs
# with nothing else running: with no object store, the local deployment keeps
# configs and results in a folder under CTL_HOME.
step "$ctl" config canary edit --default-metrics-store prometheus --default-metrics-account my-prometheus
step "$ctl" config validate
step "$ctl" config canary
step "$ctl" config canary -o yaml
printf '\nThe config file (mode %s) is %s/config; secrets are shown as <redacted> in every output.\n' \
  "$(stat -c %a "$CTL_HOME/config")" "$CTL_HOME" >&2

trap cleanup EXIT
step "$ctl" deploy apply
step "$ctl" deploy status
# The proof: a healthy canary must pass and a faulty one fail, through the
# deployed service and the embedded Prometheus (the summary is on stdout).
# The HTML reports stay after the demo, beside the scratch config.
report="$CTL_HOME/reports/smoke.html"
mkdir -p "$(dirname "$report")"
printf '\n$ %s\n' "ctl canary smoke --report-html $report" >&2
start=$(date +%s%N)
status=0
"$ctl" canary smoke --report-html "$report" || status=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf '\nctl canary smoke (healthy and faulty) took %d.%01ds; exit status %d (0: every verdict as expected).\n' \
  $((ms / 1000)) $((ms % 1000 / 100)) "$status" >&2
for f in "$CTL_HOME"/reports/smoke-*.html; do
  [ -e "$f" ] && printf 'Report: file://%s\n' "$f" >&2
done
exit $status
