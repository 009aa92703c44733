#!/usr/bin/env bash
# down.sh [STATE_DIR] stops what up.sh started with that state dir (by recorded PID). The state
# (certificates, etcd data, ports) and the built binaries are kept; `kube.sh clean DIR` also deletes DIR.
exec bash "$(dirname "${BASH_SOURCE[0]}")/kube.sh" stop "$@"
