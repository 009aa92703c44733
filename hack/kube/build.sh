#!/usr/bin/env bash
# Builds (once) the control-plane binaries the Kubernetes tests need: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok, pinned by the modules beside this file, into
# ${KUBE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/kube-v1.37.2}. Prints timings.
# Cold: ~6 min on 2 cores and ~5 GB of Go caches; with the binaries in place: instant.
exec bash "$(dirname "${BASH_SOURCE[0]}")/kube.sh" build "$@"
