#!/usr/bin/env bash
# hack/kube/kube.sh - a real Kubernetes control plane (v1.37.2) on 127.0.0.1 for ctl's tests and for
# trying ctl by hand: etcd + kube-apiserver + kube-controller-manager + kube-scheduler + a kwok fake node,
# every binary built from the Go module proxy (no Docker, no other downloads) and cached.
#
# Usage (build.sh, up.sh and down.sh beside this file are the short forms):
#   kube.sh build          build every binary that is missing (or stale); prints timings. Idempotent:
#                          with the binaries in place it takes a few milliseconds.
#   kube.sh start [DIR]    build if needed, start the cluster with its state under DIR, write a kubeconfig;
#                          the LAST line on stdout is the kubeconfig path. Idempotent: running it again
#                          reuses the running processes, certificates and ports of DIR.
#   kube.sh stop [DIR]     stop what start started in DIR (by recorded PID, newest first); keeps DIR.
#   kube.sh status [DIR]   show which recorded processes are alive.
#   kube.sh clean [DIR]    stop, then delete DIR (binaries are kept).
#
# Environment (all optional):
#   KUBE_STATE_DIR  the state DIR when none is given: pki/ data/ logs/ pids/ ports.env kubeconfig
#                   (default ${TMPDIR:-/tmp}/ctl-testinfra-kube)
#   KUBE_BIN_DIR    built binaries + kwok stage files, reused across runs and checkouts
#                   (default ${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/kube-v1.37.2; the Go helpers in
#                   internal/testinfra read the same place, or $CTL_KUBE_BIN_DIR)
#   KUBE_EXTRAS     comma list of kcm,scheduler,kwok; "all" (the default) = all three; "none" = only
#                   etcd + kube-apiserver.
#                     kcm       = kube-controller-manager: Deployments -> ReplicaSets -> Pods, GC,
#                                 namespace deletion, ServiceAccounts
#                     scheduler = kube-scheduler: binds Pods to Nodes
#                     kwok      = sigs.k8s.io/kwok v0.8.0 + one fake Node "kwok-node-0" on which
#                                 scheduled Pods turn Running/Ready without containers
#   ETCD_PORT, ETCD_PEER_PORT, APISERVER_PORT, KWOK_PORT
#                   ports on 127.0.0.1; each one not given is chosen free on the first start of DIR and
#                   then kept in DIR/ports.env (so a restart keeps the kubeconfig valid)
#   ETCD_BIN        use this etcd instead of the built v3.7.3 (e.g. Debian's /usr/bin/etcd 3.4.23)
#   KUBE_FRESH=1    wipe the etcd data of DIR before starting (an empty cluster)
#
# Needs: go (1.26; /usr/local/go/bin is tried too), openssl, curl, flock (util-linux, optional).
# The modules kube/, etcd/, kwok/ beside this file pin every version (go.mod/go.sum); they are separate
# modules, so `go build ./...`, `go vet ./...` and `go mod tidy` in ctl's module never look inside.
#
# Keep the component flags here in step with internal/testinfra/kube.go, which starts the same binaries
# itself (so the test binary owns the processes) with the same flags.
#
# Gotchas handled:
#   - kube-apiserver refuses a loopback --advertise-address unless --endpoint-reconciler-type=none.
#   - without the version ldflags the binaries report v0.0.0-master and Helm rejects charts that have a
#     kubeVersion constraint; they are stamped v1.37.2 here.
#   - kwok does nothing without stage files; its stock "fast" stages are copied from its module at build
#     time into KUBE_BIN_DIR/kwok-stages/.
#   - ServiceAccount admission is off, so Pods need no token and can be created before the
#     controller-manager made the namespace's "default" ServiceAccount.
#   - every port is chosen (none fixed), so several clusters (one per test binary) can run at once.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
CONTEXT=ctl-testinfra
BIN="${KUBE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/kube-$K8S_VERSION}"
EXTRAS="${KUBE_EXTRAS:-all}"
[ "$EXTRAS" = all ] && EXTRAS=kcm,scheduler,kwok
[ "$EXTRAS" = none ] && EXTRAS=
KWOK_STAGES=(node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml
	pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)

log() { printf '[kube %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }
has_extra() { case ",$EXTRAS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

state_dir() { # state_dir [DIR] -> sets STATE and the paths under it
	STATE="${1:-${KUBE_STATE_DIR:-${TMPDIR:-/tmp}/ctl-testinfra-kube}}"
	mkdir -p "$STATE"
	STATE="$(cd "$STATE" && pwd)"
	PKI="$STATE/pki" LOGS="$STATE/logs" PIDS="$STATE/pids" DATA="$STATE/data"
	KUBECONFIG_OUT="$STATE/kubeconfig"
}

# ---------------------------------------------------------------- build
GO=
find_go() {
	GO="$(command -v go || true)"
	[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; } || die "go not found (PATH, /usr/local/go/bin)"
}

# gobuild MODULE_DIR OUT PKG... : build in the helper module, never in ctl's (GOWORK off, no VCS stamping,
# static binaries; GOFLAGS of the caller such as -mod=vendor must not leak in).
gobuild() {
	local dir="$1" out="$2" ldf="$3"
	shift 3
	(cd "$dir" && env GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 "$GO" build -ldflags "$ldf" -o "$out" "$@")
}

BUILD_RECIPE=2 # bump when the way binaries are built changes (flags, ldflags): forces a rebuild
ALL_BINS=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

build() {
	find_go
	mkdir -p "$BIN"
	# One build at a time per cache dir (two `make test` at once on one machine). The lock is released
	# before any server starts, so no server inherits it.
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$BIN/.lock"
		flock -n 9 || { log "waiting for another build in $BIN"; flock 9; }
	fi
	build_locked
	exec 9>&-
}

build_locked() {
	local ldf="-s -w"
	local kldf="$ldf -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
-X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION \
-X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=37"
	# stamp = hash of the pinning files + recipe; binaries are rebuilt only when it changes
	local stamp
	stamp="$({ echo "$BUILD_RECIPE $kldf"; cat "$HERE"/kube/go.mod "$HERE"/kube/go.sum "$HERE"/etcd/go.mod \
		"$HERE"/etcd/go.sum "$HERE"/kwok/go.mod "$HERE"/kwok/go.sum; } | sha256sum | cut -c1-16)"
	if [ "$(cat "$BIN/.stamp" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "${ALL_BINS[@]/#/$BIN/}" "$BIN/kwok-stages" "$BIN/.stamp"
	fi
	local missing=() b
	for b in "${ALL_BINS[@]}"; do [ -x "$BIN/$b" ] || missing+=("$b"); done
	[ -f "$BIN/kwok-stages/pod-ready.yaml" ] || missing+=(kwok-stages)
	if [ ${#missing[@]} -eq 0 ]; then
		echo "$stamp" >"$BIN/.stamp"
		log "control-plane binaries $K8S_VERSION present in $BIN"
		return 0
	fi
	local T0 t tmp
	T0=$(now)
	# Build into a scratch dir and move into place: a binary that exists is always complete.
	tmp="$(mktemp -d "$BIN/.build.XXXXXX")"
	trap "rm -rf '$tmp'" EXIT
	log "building ${missing[*]} into $BIN (cold, 2 cores: ~6 min and ~5 GB of Go caches; warm: seconds)"
	local want_k8s=() p
	for p in kube-apiserver kube-controller-manager kube-scheduler; do
		[[ " ${missing[*]} " == *" $p "* ]] && want_k8s+=("k8s.io/kubernetes/cmd/$p")
	done
	if [ ${#want_k8s[@]} -gt 0 ]; then
		t=$(now)
		log "building ${want_k8s[*]##*/} $K8S_VERSION (cold: ~3.5 min for kube-apiserver, ~4.5 min for all three)"
		gobuild "$HERE/kube" "$tmp/" "$kldf" "${want_k8s[@]}"
		log "built ${want_k8s[*]##*/} in $(since "$t")"
	fi
	if [[ " ${missing[*]} " == *" etcd "* ]]; then
		t=$(now)
		log "building etcd $ETCD_VERSION (cold: ~15-60 s)"
		gobuild "$HERE/etcd" "$tmp/etcd" "$ldf" go.etcd.io/etcd/server/v3
		log "built etcd in $(since "$t")"
	fi
	if [[ " ${missing[*]} " == *" kwok "* ]]; then
		t=$(now)
		log "building kwok $KWOK_VERSION (cold: ~50 s)"
		gobuild "$HERE/kwok" "$tmp/kwok" "$ldf" sigs.k8s.io/kwok/cmd/kwok
		log "built kwok in $(since "$t")"
	fi
	if [[ " ${missing[*]} " == *" kwok-stages "* ]]; then
		# kwok's stock stages ship in its module (downloaded by the build above, or now).
		local kdir f
		kdir="$(cd "$HERE/kwok" && GOWORK=off GOFLAGS= "$GO" mod download -json sigs.k8s.io/kwok | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
		[ -d "$kdir/kustomize/stage" ] || die "kwok stage files not found in its module ($kdir)"
		mkdir -p "$tmp/kwok-stages"
		for f in "${KWOK_STAGES[@]}"; do cp "$kdir/kustomize/stage/$f" "$tmp/kwok-stages/${f##*/}"; done
		chmod 644 "$tmp"/kwok-stages/*
	fi
	for b in "${ALL_BINS[@]}"; do [ -e "$tmp/$b" ] && mv -f "$tmp/$b" "$BIN/$b"; done
	if [ -d "$tmp/kwok-stages" ]; then rm -rf "$BIN/kwok-stages" && mv "$tmp/kwok-stages" "$BIN/kwok-stages"; fi
	rm -rf "$tmp"
	trap - EXIT
	echo "$stamp" >"$BIN/.stamp"
	log "control-plane binaries built in $(since "$T0") into $BIN"
}

# ---------------------------------------------------------------- ports
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # a port below the kernel's ephemeral range that nothing listens on now
	local p i taken=" ${*:-} "
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		[[ "$taken" == *" $p "* ]] && continue
		port_busy "$p" || { echo "$p"; return 0; }
	done
	die "no free port found"
}
ports() { # ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KWOK_PORT: env, else DIR/ports.env, else free
	local e_etcd="${ETCD_PORT:-}" e_peer="${ETCD_PEER_PORT:-}" e_api="${APISERVER_PORT:-}" e_kwok="${KWOK_PORT:-}"
	# shellcheck disable=SC1091
	[ -f "$STATE/ports.env" ] && . "$STATE/ports.env"
	ETCD_PORT="${e_etcd:-${ETCD_PORT:-$(free_port)}}"
	ETCD_PEER_PORT="${e_peer:-${ETCD_PEER_PORT:-$(free_port "$ETCD_PORT")}}"
	APISERVER_PORT="${e_api:-${APISERVER_PORT:-$(free_port "$ETCD_PORT" "$ETCD_PEER_PORT")}}"
	KWOK_PORT="${e_kwok:-${KWOK_PORT:-$(free_port "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT")}}"
	printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\nKWOK_PORT=%s\n' \
		"$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KWOK_PORT" >"$STATE/ports.env"
}

# ---------------------------------------------------------------- pki
pki() {
	mkdir -p "$PKI"
	[ -f "$PKI/admin.crt" ] && [ -f "$PKI/sa.pub" ] && return 0
	log "generating CA, serving cert, admin client cert, service-account keys (openssl)"
	(
		cd "$PKI"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=ctl-testinfra-ca" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
		openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile server.ext 2>/dev/null
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
		openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 3650 -extfile client.ext 2>/dev/null
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
		chmod 600 ./*.key
	)
}

write_kubeconfig() {
	cat >"$KUBECONFIG_OUT" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: admin
  user:
    client-certificate: $PKI/admin.crt
    client-key: $PKI/admin.key
contexts:
- name: $CONTEXT
  context: {cluster: $CONTEXT, user: admin, namespace: default}
current-context: $CONTEXT
EOF
}

api() { # api METHOD PATH [curl args...]
	local m="$1" p="$2"
	shift 2
	curl -sS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" -X "$m" "https://127.0.0.1:$APISERVER_PORT$p" "$@"
}

# ---------------------------------------------------------------- processes
alive() { # alive NAME -> 0 if the recorded PID is running
	local f="$PIDS/$1.pid"
	[ -f "$f" ] && running "$(cat "$f")"
}

# start_bg NAME CMD... : start in the background (log in LOGS/NAME.log), record the PID of the program itself
start_bg() {
	local name="$1"
	shift
	# env -u: etcd reads ETCD_* and kwok KWOK_* variables as flags; KUBECONFIG must not redirect anything.
	nohup env -u KUBECONFIG -u ETCD_PORT -u ETCD_PEER_PORT -u ETCD_BIN -u KWOK_PORT "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
	echo $! >"$PIDS/$name.pid"
}

wait_for() { # wait_for NAME SECONDS CHECK-CMD...
	local name="$1" secs="$2" i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		alive "$name" || die "$name exited; see $LOGS/$name.log: $(tail -5 "$LOGS/$name.log")"
		sleep 0.1
	done
	die "$name not ready after ${secs}s; see $LOGS/$name.log"
}

start() {
	local T0 t
	T0=$(now)
	build
	pki
	mkdir -p "$LOGS" "$PIDS" "$DATA"
	ports
	local etcd="${ETCD_BIN:-$BIN/etcd}"

	if alive etcd; then
		log "etcd already running (pid $(cat "$PIDS/etcd.pid"))"
	else
		port_busy "$ETCD_PORT" && die "127.0.0.1:$ETCD_PORT (etcd) in use by another process"
		[ "${KUBE_FRESH:-0}" = 1 ] && rm -rf "$DATA/etcd"
		t=$(now)
		start_bg etcd "$etcd" --name ctl-testinfra --data-dir "$DATA/etcd" \
			--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
			--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
			--initial-cluster "ctl-testinfra=http://127.0.0.1:$ETCD_PEER_PORT" \
			--quota-backend-bytes 2147483648 --snapshot-count 10000 --unsafe-no-fsync
		wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
		log "etcd ready on 127.0.0.1:$ETCD_PORT in $(since "$t") (pid $(cat "$PIDS/etcd.pid"))"
	fi

	if alive kube-apiserver; then
		log "kube-apiserver already running (pid $(cat "$PIDS/kube-apiserver.pid"))"
	else
		port_busy "$APISERVER_PORT" && die "127.0.0.1:$APISERVER_PORT (kube-apiserver) in use by another process"
		t=$(now)
		start_bg kube-apiserver "$BIN/kube-apiserver" \
			--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
			--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
			--endpoint-reconciler-type=none \
			--cert-dir="$PKI" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
			--client-ca-file="$PKI/ca.crt" \
			--service-account-issuer=https://kubernetes.default.svc \
			--service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
			--service-cluster-ip-range=10.0.0.0/24 \
			--authorization-mode=RBAC --allow-privileged=true \
			--disable-admission-plugins=ServiceAccount
		wait_for kube-apiserver 120 bash -c "curl -s --cacert '$PKI/ca.crt' --cert '$PKI/admin.crt' --key '$PKI/admin.key' https://127.0.0.1:$APISERVER_PORT/readyz | grep -qx ok"
		log "kube-apiserver ready on 127.0.0.1:$APISERVER_PORT in $(since "$t") (pid $(cat "$PIDS/kube-apiserver.pid"))"
	fi
	write_kubeconfig

	if has_extra kcm && ! alive kcm; then
		start_bg kcm "$BIN/kube-controller-manager" --kubeconfig="$KUBECONFIG_OUT" \
			--leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
			--service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
			--cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
			--use-service-account-credentials=false --controllers='*'
		log "kube-controller-manager started (pid $(cat "$PIDS/kcm.pid"))"
	fi
	if has_extra scheduler && ! alive scheduler; then
		start_bg scheduler "$BIN/kube-scheduler" --kubeconfig="$KUBECONFIG_OUT" \
			--leader-elect=false --bind-address=127.0.0.1 --secure-port=0
		log "kube-scheduler started (pid $(cat "$PIDS/scheduler.pid"))"
	fi
	if has_extra kwok && ! alive kwok; then
		port_busy "$KWOK_PORT" && die "127.0.0.1:$KWOK_PORT (kwok) in use by another process"
		local cfg=() f
		for f in "${KWOK_STAGES[@]}"; do cfg+=(-c "$BIN/kwok-stages/${f##*/}"); done
		# --node-ip / --server-address are loopback so nothing (kubectl logs/exec) ever targets another
		# address; pod IPs from --cidr are only strings in Pod status (no CNI, no kube-proxy).
		start_bg kwok "$BIN/kwok" --kubeconfig="$KUBECONFIG_OUT" "${cfg[@]}" \
			--manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
			--node-ip=127.0.0.1 --node-port="$KWOK_PORT" --server-address="127.0.0.1:$KWOK_PORT" --cidr=10.244.0.0/16
		api POST /api/v1/nodes -H 'Content-Type: application/json' -o /dev/null -d '{
		  "apiVersion":"v1","kind":"Node",
		  "metadata":{"name":"kwok-node-0","annotations":{"kwok.x-k8s.io/node":"fake"},
		    "labels":{"type":"kwok","kubernetes.io/hostname":"kwok-node-0","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64"}},
		  "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},
		            "capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}' || true
		wait_for kwok 60 bash -c "curl -s --cacert '$PKI/ca.crt' --cert '$PKI/admin.crt' --key '$PKI/admin.key' https://127.0.0.1:$APISERVER_PORT/api/v1/nodes/kwok-node-0 | tr -d ' \n' | grep -q '\"type\":\"Ready\",\"status\":\"True\"'"
		log "kwok started (pid $(cat "$PIDS/kwok.pid")); fake node kwok-node-0 is Ready"
	fi
	log "cluster up in $(since "$T0"); context $CONTEXT; stop with: bash $HERE/down.sh $STATE"
	echo "$KUBECONFIG_OUT"
}

running() { # running PID: alive and not a zombie waiting to be reaped
	kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

stop() {
	# The clients together, then the API server, then etcd: the API server shuts down in about a
	# second while etcd is up, but takes over 10 s retrying when etcd went first.
	local group n p i live
	for group in "kwok scheduler kcm" kube-apiserver etcd; do
		live=()
		for n in $group; do
			[ -f "$PIDS/$n.pid" ] || continue
			p="$(cat "$PIDS/$n.pid")"
			rm -f "$PIDS/$n.pid"
			running "$p" && kill "$p" 2>/dev/null && live+=("$n:$p")
		done
		for n in ${live[@]+"${live[@]}"}; do
			p="${n#*:}"
			for ((i = 0; i < 150; i++)); do running "$p" || break; sleep 0.1; done
			running "$p" && kill -9 "$p"
			log "stopped ${n%%:*} (pid $p)"
		done
	done
}

status() {
	local n
	for n in etcd kube-apiserver kcm scheduler kwok; do
		if alive "$n"; then echo "$n running pid $(cat "$PIDS/$n.pid")"; elif [ -f "$PIDS/$n.pid" ]; then echo "$n dead (stale pid file)"; fi
	done
}

cmd="${1:-start}"
shift || true
case "$cmd" in
build) build ;;
start) state_dir "$@" && start ;;
stop) state_dir "$@" && stop ;;
status) state_dir "$@" && status ;;
clean) state_dir "$@" && stop && rm -rf "$STATE" ;;
*) die "usage: $0 build|start [DIR]|stop [DIR]|status [DIR]|clean [DIR]" ;;
esac
