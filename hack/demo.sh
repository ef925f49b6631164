#!/usr/bin/env bash
# The whole operator on one machine, with no cluster and no Cyclr account:
#
#   make demo            (or hack/demo.sh)
#
# 1. builds the manager (bin/manager), the Cyclr emulator (bin/cyclr-emulator) and a tiny
#    control-plane runner (bin/demo-controlplane); builds etcd and kube-apiserver from source
#    the first time (hack/build-control-plane.sh, about 6 minutes cold, cached in bin/k8s);
# 2. starts etcd + kube-apiserver and writes bin/demo/kubeconfig;
# 3. starts the Cyclr emulator on http://127.0.0.1:8089 (loopback only);
# 4. installs the CRD and applies hack/demo (login Secrets and three CyclrCredentials);
# 5. runs the manager against that control plane and prints every change of a credential's
#    Ready condition and of the token in its target Secret.
#
# Ctrl-C stops everything it started and leaves nothing running. Logs: bin/demo/*.log.
#
# Environment: DEMO_LIFETIME (token lifetime, default 2m: the first refresh comes about 80s
# after the first token), DEMO_METRICS_PORT (default 8080; the manager's metrics over plain
# HTTP on 127.0.0.1, skipped when the port is taken), DEMO_POLL (seconds between checks, 3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEMO_DIR="${ROOT}/bin/demo"
KUBECONFIG_FILE="${DEMO_DIR}/kubeconfig"
LIFETIME="${DEMO_LIFETIME:-2m}"
METRICS_PORT="${DEMO_METRICS_PORT:-8080}"
POLL="${DEMO_POLL:-3}"
# The demo samples (hack/demo/credentials.yaml) point at this address.
EMULATOR_HOST=127.0.0.1
EMULATOR_PORT=8089
EMULATOR_URL="http://${EMULATOR_HOST}:${EMULATOR_PORT}"
# Must match hack/demo/login-secrets.yaml.
EMULATOR_ARGS=(--listen "${EMULATOR_HOST}:${EMULATOR_PORT}" --lifetime "$LIFETIME"
  --partner demo-client:demo-user:demo-pass
  --client demo-cc-client:demo-cc-secret
  --account demo-account)

log() { printf 'demo: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Process bookkeeping. Each background process runs in a session (and process group) of its
# own, so a Ctrl-C reaches only this script, which then stops them in reverse order: the
# manager first (it exits cleanly on SIGTERM), then the emulator, then the control plane
# (which stops etcd and kube-apiserver and deletes their data).
PIDS=()
NAMES=()
REAPER=""
PIDFILE="${DEMO_DIR}/pids"
STOPPING=0

alive() {
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$stat" && "$stat" != Z* ]]
}

# start NAME COMMAND...: runs COMMAND in its own session, output to bin/demo/NAME.log.
start() {
  local name="$1"
  shift
  setsid "$@" </dev/null >"${DEMO_DIR}/${name}.log" 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
  echo "$!" >>"$PIDFILE"
}

# stop_one PID NAME: SIGTERM, up to 30s to exit, then SIGKILL (with its children: etcd and
# kube-apiserver run in process groups of their own under demo-controlplane).
stop_one() {
  local pid="$1" name="$2" kids i
  if alive "$pid"; then
    kids="$(ps -o pid= --ppid "$pid" 2>/dev/null | tr '\n' ' ' || true)"
    log "stopping ${name} (pid ${pid})"
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "${name} did not stop within 30s: killing it"
      # shellcheck disable=SC2086 # kids is a list of pids
      kill -KILL -- "-${pid}" $kids 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  ((STOPPING)) && return 0
  STOPPING=1
  # A second Ctrl-C must not interrupt the shutdown half way.
  trap '' INT TERM HUP
  if [[ -n "$REAPER" ]]; then
    kill "$REAPER" 2>/dev/null || true
    wait "$REAPER" 2>/dev/null || true
  fi
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_one "${PIDS[i]}" "${NAMES[i]}"
  done
  rm -f "$PIDFILE"
  ((${#PIDS[@]})) && log "stopped; logs are in ${DEMO_DIR}"
  return "$status"
}
trap cleanup EXIT
trap 'echo >&2; log "interrupted"; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# If this script is killed without running its trap (SIGKILL), the reaper, in a session of its
# own, notices and stops what the script started.
start_reaper() {
  setsid bash -c '
    trap "" INT HUP
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    if [[ -f "$2" ]]; then
      while read -r pid; do kill -TERM -- "-$pid" 2>/dev/null; done <"$2"
    fi' demo-reaper "$$" "$PIDFILE" </dev/null >/dev/null 2>&1 &
  REAPER=$!
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for WHAT SECONDS PID CHECK...: polls CHECK until it succeeds; fails when PID exits.
wait_for() {
  local what="$1" seconds="$2" pid="$3" name="$4" i
  shift 4
  for ((i = 0; i < seconds * 4; i++)); do
    if "$@"; then return 0; fi
    if ! alive "$pid"; then
      log "${name} exited; the end of ${DEMO_DIR}/${name}.log:"
      tail -n 20 "${DEMO_DIR}/${name}.log" >&2 || true
      die "${what} failed"
    fi
    sleep 0.25
  done
  die "${what}: gave up after ${seconds}s (see ${DEMO_DIR}/${name}.log)"
}

kc() { kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# ---------------------------------------------------------------------------------------------
command -v kubectl >/dev/null || die "kubectl is needed (to apply the samples and watch them)"
[[ -f hack/cyclr-emulator/main.go ]] || die "hack/cyclr-emulator is missing"
if port_in_use "$EMULATOR_PORT"; then
  die "127.0.0.1:${EMULATOR_PORT} is taken (another demo running?); the demo's emulator must listen there"
fi
mkdir -p "$DEMO_DIR"
rm -f "$KUBECONFIG_FILE" "$PIDFILE"

log "building the control plane binaries (first time only: about 6 minutes)"
ASSETS="$(hack/build-control-plane.sh)"
log "building bin/manager, bin/cyclr-emulator and bin/demo-controlplane"
go build -o bin/manager ./cmd
go build -o bin/ ./hack/cyclr-emulator ./hack/demo-controlplane

start_reaper

log "starting etcd and kube-apiserver (log: ${DEMO_DIR}/control-plane.log)"
start control-plane bin/demo-controlplane --assets "$ASSETS" --write-kubeconfig "$KUBECONFIG_FILE"
wait_for "starting the control plane" 180 "${PIDS[-1]}" control-plane test -s "$KUBECONFIG_FILE"

log "starting the Cyclr emulator on ${EMULATOR_URL}, token lifetime ${LIFETIME} (log: ${DEMO_DIR}/cyclr-emulator.log)"
start cyclr-emulator bin/cyclr-emulator "${EMULATOR_ARGS[@]}"
wait_for "starting the Cyclr emulator" 30 "${PIDS[-1]}" cyclr-emulator port_in_use "$EMULATOR_PORT"

log "installing the CyclrCredential CRD and applying hack/demo"
kc apply --server-side -f config/crd/bases >/dev/null
kc wait --for=condition=Established --timeout=60s crd/cyclrcredentials.auth.cyclr-operator.io >/dev/null
kc apply -k hack/demo

# The emulator is a loopback host: the operator talks to it only when it is listed.
MANAGER_ARGS=(--leader-elect=false --health-probe-bind-address=0 --allowed-api-hosts="${EMULATOR_HOST}:${EMULATOR_PORT}")
METRICS_NOTE="metrics: off (port ${METRICS_PORT} is taken)"
if ! port_in_use "$METRICS_PORT"; then
  MANAGER_ARGS+=(--metrics-bind-address="127.0.0.1:${METRICS_PORT}" --metrics-secure=false)
  METRICS_NOTE="curl -s http://127.0.0.1:${METRICS_PORT}/metrics | grep '^cyclr_'"
fi
log "starting the manager (log: ${DEMO_DIR}/manager.log)"
start manager env KUBECONFIG="$KUBECONFIG_FILE" bin/manager "${MANAGER_ARGS[@]}"

cat >&2 <<EOF

===============================================================================================
 The operator is running against a local control plane and a Cyclr emulator.
 In another terminal:

   export KUBECONFIG=${KUBECONFIG_FILE}
   kubectl get cyclrcred -w                              # watch them turn Ready
   kubectl get secret partner-token -w -o jsonpath='{.data.access_token}{"\n"}'
                                                         # the token changes at each refresh
   kubectl describe cyclrcred partner                    # status, conditions and events
   kubectl annotate cyclrcred partner auth.cyclr-operator.io/refresh-requested-at="\$(date +%s)" --overwrite
                                                         # refresh now
   curl -s -H "Authorization: \$(kubectl get secret partner-token -o jsonpath='{.data.authorization}' | base64 -d)" \\
     ${EMULATOR_URL}/v1.0/accounts                # use the token (emulated Cyclr API call)
   ${METRICS_NOTE}

 Tokens live ${LIFETIME} and are refreshed a third of that before they expire. Below: every
 change of a credential's Ready condition and of its token. Ctrl-C stops everything.
===============================================================================================

EOF

# ---------------------------------------------------------------------------------------------
# The watcher: polls the credentials and their target Secrets and prints what changed. When a
# token changes it asks the emulator whether the previous one still works, which shows the
# rotation trade-off: RefreshToken retires it at once, Reauthenticate lets it live on.
declare -A LAST_STATE=() LAST_TOKEN=()

check_processes() {
  local i
  for ((i = 0; i < ${#PIDS[@]}; i++)); do
    if ! alive "${PIDS[i]}"; then
      log "${NAMES[i]} exited unexpectedly; the end of ${DEMO_DIR}/${NAMES[i]}.log:"
      tail -n 20 "${DEMO_DIR}/${NAMES[i]}.log" >&2 || true
      exit 1
    fi
  done
}

api_status() { # TOKEN: HTTP status of an emulated Cyclr API call made with TOKEN
  curl -s -o /dev/null -m 5 -w '%{http_code}' -H "Authorization: Bearer $1" "${EMULATOR_URL}/v1.0/accounts" || echo "???"
}

fingerprint() { printf '%s' "$1" | sha256sum | cut -c1-8; }

show() {
  local creds secrets name ready reason revision grant expires refresh target rotation line
  creds="$(kc get cyclrcred -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"|"}{.status.conditions[?(@.type=="Ready")].reason}{"|"}{.status.revision}{"|"}{.status.lastGrant}{"|"}{.status.expiresAt}{"|"}{.status.refreshAt}{"|"}{.status.tokenSecretName}{"|"}{.spec.rotation}{"|"}{.spec.grant}{"\n"}{end}' 2>/dev/null)" || return 0
  secrets="$(kc get secret -l 'auth.cyclr-operator.io/credential,!auth.cyclr-operator.io/role' -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.data.access_token}{"\n"}{end}' 2>/dev/null)" || return 0
  while IFS='|' read -r name ready reason revision grant expires refresh target rotation granttype; do
    [[ -n "$name" ]] || continue
    local b64="" token="" state
    line="$(grep -m1 "^${target}|" <<<"$secrets" || true)"
    b64="${line#*|}"
    [[ -n "$line" && -n "$b64" ]] && token="$(printf '%s' "$b64" | base64 -d 2>/dev/null || true)"
    state="${ready:-?}|${reason:-}|${revision:-0}"
    if [[ "$state" == "${LAST_STATE[$name]:-}" && "$token" == "${LAST_TOKEN[$name]:-}" ]]; then
      continue
    fi
    local msg
    msg="$(printf '%s  %-19s Ready=%-5s %-20s' "$(date +%T)" "$name" "${ready:-?}" "${reason:-(no status yet)}")"
    if [[ -n "$token" ]]; then
      msg+="$(printf ' revision %-3s %-20s token %s  expires %s  refresh at %s' "${revision:-0}" "(${grant:-?})" \
        "$(fingerprint "$token")" "${expires#*T}" "${refresh#*T}")"
    fi
    printf '%s\n' "$msg"
    local old="${LAST_TOKEN[$name]:-}"
    if [[ -n "$old" && -n "$token" && "$old" != "$token" ]]; then
      local how="a new client_credentials token; the previous one lives until it expires"
      if [[ "$granttype" != "ClientCredentials" ]]; then
        how="rotation ${rotation:-RefreshToken}"
      fi
      printf '%10s new token: Cyclr answers HTTP %s; previous token %s: HTTP %s (%s)\n' "" \
        "$(api_status "$token")" "$(fingerprint "$old")" "$(api_status "$old")" "$how"
    fi
    LAST_STATE[$name]="$state"
    LAST_TOKEN[$name]="$token"
  done <<<"$creds"
}

while true; do
  check_processes
  show
  sleep "$POLL"
done
