#!/usr/bin/env bash
# ensure.sh installs the real servers that the tests of internal/testinfra
# start on loopback: Prometheus + promtool (Debian's package), Chromium
# (Debian's package, for kayenta/report's headless test) and versitygw
# (an S3 gateway, built from its Go module into a cache dir, outside our
# go.mod). Idempotent; when everything is in place it takes well under a second.
#
# Settings (environment):
#   CTL_TESTINFRA_BIN   where versitygw goes (default ${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/bin)
#   VERSITYGW_VERSION   module version to build (default v1.8.0)
set -euo pipefail

VERSITYGW_MODULE=github.com/versity/versitygw
VERSITYGW_VERSION=${VERSITYGW_VERSION:-v1.8.0}
BIN=${CTL_TESTINFRA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/bin}

log() { echo "ensure.sh: $*" >&2; }
die() { echo "ensure.sh: ERROR: $*" >&2; exit 1; }

# need_apt WHAT HINT PACKAGE: WHAT is missing and comes from apt-get
# install PACKAGE; sets SUDO to what runs it as root, or dies (with HINT
# when there is no apt-get).
need_apt() {
	command -v apt-get >/dev/null 2>&1 || die "$1 missing and apt-get not available; $2"
	SUDO=
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "$1 missing; need root (or sudo) to apt-get install $3"
		SUDO=sudo
	fi
}

# --- Prometheus and promtool (Debian package; the service is never started) ---
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
	log "prometheus present: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n1))"
else
	need_apt prometheus/promtool "install Prometheus >= 2.42 (with promtool) on PATH" prometheus
	# Keep the package's maintainer scripts from starting the service: we run
	# the binary directly. Respect an existing policy-rc.d (e.g. Docker's).
	created_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		created_policy=1
	fi
	cleanup_policy() { if [ -n "$created_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi; }
	trap cleanup_policy EXIT
	log "installing Debian package prometheus (apt-get update + install --no-install-recommends)"
	start=$SECONDS
	$SUDO apt-get update -qq >&2 || die "apt-get update failed"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2 \
		|| die "apt-get install prometheus failed"
	cleanup_policy
	trap - EXIT
	# The package's maintainer scripts may start the service where an init
	# system runs; we don't want it (it would hold port 9090 and use memory).
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
	command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 \
		|| die "prometheus package installed but prometheus/promtool not on PATH"
	log "installed prometheus in $((SECONDS - start))s: $(prometheus --version 2>&1 | head -n1)"
fi

# --- versitygw (built from its own module; does not touch our go.mod) ---
GO=$(command -v go || true)
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
[ -n "$GO" ] || die "go not found on PATH (nor /usr/local/go/bin/go); it is needed to build versitygw"

have_version() {
	[ -x "$BIN/versitygw" ] || return 1
	"$GO" version -m "$BIN/versitygw" 2>/dev/null |
		awk -v m="$VERSITYGW_MODULE" -v v="$VERSITYGW_VERSION" '$1=="mod" && $2==m && $3==v {found=1} END {exit !found}'
}

if have_version; then
	log "versitygw $VERSITYGW_VERSION present: $BIN/versitygw"
else
	mkdir -p "$BIN" || die "cannot create $BIN"
	log "building versitygw $VERSITYGW_VERSION into $BIN (first time: ~1 min)"
	start=$SECONDS
	tmp=$(mktemp -d)
	# `go install module@version` builds in module mode with the module's own
	# go.mod, ignoring any go.mod/go.work around; run it from an empty dir anyway.
	(cd "$tmp" && env GOWORK=off GOFLAGS=-mod=mod GOBIN="$BIN" CGO_ENABLED=0 \
		"$GO" install "$VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION") >&2 \
		|| { rm -rf "$tmp"; die "go install $VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION failed"; }
	rm -rf "$tmp"
	have_version || die "built $BIN/versitygw but it does not report $VERSITYGW_MODULE $VERSITYGW_VERSION"
	log "built versitygw $VERSITYGW_VERSION in $((SECONDS - start))s"
fi

# --- Chromium (Debian package), for the headless test of the HTML canary report (kayenta/report) ---
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	log "chromium present: $(command -v chromium || command -v chromium-browser)"
else
	need_apt chromium "install Chromium (chromium on PATH, or set CHROMIUM)" chromium
	log "installing Debian packages chromium and fonts-dejavu-core (apt-get update + install --no-install-recommends)"
	start=$SECONDS
	$SUDO apt-get update -qq >&2 || die "apt-get update failed"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2 \
		|| die "apt-get install chromium failed"
	command -v chromium >/dev/null 2>&1 || die "chromium package installed but chromium not on PATH"
	log "installed chromium in $((SECONDS - start))s: $(chromium --version 2>/dev/null | head -n1)"
fi

# --- Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok ---
# Built from the helper modules in hack/kube/ (their own go.mod files pin every version; ours is not
# touched) into ${KUBE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/kube-v1.37.2}, where
# internal/testinfra (SharedKube, StartKube) finds them. The first time ~6 min on 2 cores and ~5 GB of Go
# caches; afterwards instant (rebuilt only when hack/kube's pins change).
PATH="$(dirname "$GO"):$PATH" bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/kube/build.sh" \
	|| die "building the Kubernetes control plane failed (hack/kube/build.sh)"
