#!/usr/bin/env bash
# The main job on the embedded default, until deploy and smoke land: run the
# Kayenta blog post's `hal config canary` sequence with ctl in a scratch
# CTL_HOME and print the resulting config.
set -euo pipefail
ctl=${1:-bin/ctl}
ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
export CTL_HOME=$(mktemp -d "${TMPDIR:-/tmp}/ctl-demo.XXXXXX")
step() { printf '\n$ %s\n' "$*" >&2; "$@"; }

echo "Scratch CTL_HOME=$CTL_HOME" >&2
step "$ctl" config canary enable
step "$ctl" config canary edit --default-judge NetflixACAJudge-v1.0
step "$ctl" config canary prometheus enable
step "$ctl" config canary prometheus account add my-prometheus --base-url http://127.0.0.1:9090
step "$ctl" config canary aws enable
printf '\n$ %s\n' "ctl config canary aws account add my-s3 --bucket spin-bucket --endpoint s3.example.com --access-key-id ACCESS_ID --secret-access-key   (secret read from stdin)" >&2
echo "demo-secret-key" | "$ctl" config canary aws account add my-s3 --bucket spin-bucket \
  --endpoint s3.example.com --access-key-id ACCESS_ID --secret-access-key
step "$ctl" config canary aws edit --s3-enabled=true
step "$ctl" config canary edit --default-metrics-store prometheus --default-metrics-account my-prometheus \
  --default-storage-account my-s3
step "$ctl" config validate
step "$ctl" config canary
step "$ctl" config canary -o yaml
printf '\nThe config file (mode %s) is %s/config; secrets are shown as <redacted> in every output.\n' \
  "$(stat -c %a "$CTL_HOME/config")" "$CTL_HOME" >&2
