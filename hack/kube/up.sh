#!/usr/bin/env bash
# up.sh [STATE_DIR] starts etcd + kube-apiserver + controller-manager + scheduler + a kwok fake node on
# 127.0.0.1 (building the binaries first if needed), with its state under STATE_DIR (default
# $KUBE_STATE_DIR, else ${TMPDIR:-/tmp}/ctl-testinfra-kube). The last line printed is the admin kubeconfig path
# (context ctl-testinfra). See kube.sh for the settings (ports, KUBE_EXTRAS, KUBE_FRESH).
exec bash "$(dirname "${BASH_SOURCE[0]}")/kube.sh" start "$@"
