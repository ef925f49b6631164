#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver and etcd) from source through the Go
# module proxy, because setup-envtest's prebuilt downloads cannot be reached here.
#
#   hack/build-control-plane.sh            # builds into bin/k8s/<version>-linux-amd64, prints the dir
#   hack/build-control-plane.sh node       # also the node and the rest of the cluster (make e2e):
#                                          # kubelet, kube-proxy, controller-manager, scheduler, kubectl
#
# The binaries are skipped when already present; a warm Go build cache makes a rebuild take
# seconds. Recipe: docs/development.md, "The test control plane".
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${ROOT}/bin/k8s/${KUBE_VERSION}-$(go env GOOS)-$(go env GOARCH)"
WORK="${ROOT}/bin/k8s/.build"

log() { echo "build-control-plane: $*" >&2; }

# wrapper_module DIR MODULE_PATH: a throwaway module in DIR to build from.
wrapper_module() {
  rm -rf "$1" && mkdir -p "$1"
  printf 'module %s\n\ngo 1.26.0\n' "$2" >"$1/go.mod"
}

build_etcd() {
  local dir="${WORK}/etcd"
  wrapper_module "$dir" envtest.local/etcd
  (cd "$dir" &&
    go mod edit -require="go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" &&
    CGO_ENABLED=0 go build -mod=mod -o "${OUT}/etcd" go.etcd.io/etcd/server/v3)
}

# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local
# directories, which a dependent module does not see: replace each with its v0.x release.
# build_kubernetes NAME PACKAGE...: go build the k8s.io/kubernetes commands into OUT, in the
# wrapper module bin/k8s/.build/NAME (one go build, so that shared packages compile once).
build_kubernetes() {
  local dir="${WORK}/$1" gomod staging version_flags
  shift
  # A module build has no git tree to stamp the version from; stamp it as the release does.
  version_flags="-X k8s.io/component-base/version.gitVersion=v${KUBE_VERSION}"
  version_flags+=" -X k8s.io/component-base/version.gitMajor=${KUBE_VERSION%%.*}"
  version_flags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
  wrapper_module "$dir" "envtest.local/$(basename "$dir")"
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  staging="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod")"
  (cd "$dir" &&
    go mod edit -require="k8s.io/kubernetes@v${KUBE_VERSION}" &&
    for m in $staging; do go mod edit -replace="${m}=${m}@v0.${KUBE_VERSION#1.}"; done &&
    CGO_ENABLED=0 go build -mod=mod -ldflags "${version_flags}" -o "${OUT}/" "$@")
}

mkdir -p "$OUT"
if [[ -x "${OUT}/etcd" ]]; then log "etcd present"; else log "building etcd v${ETCD_VERSION}"; build_etcd; fi
if [[ -x "${OUT}/kube-apiserver" ]]; then log "kube-apiserver present"; else
  log "building kube-apiserver v${KUBE_VERSION} (cold: about 6 minutes)"
  build_kubernetes kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
fi
if [[ "${1:-}" == node ]]; then
  node_commands=(kubelet kube-proxy kube-controller-manager kube-scheduler kubectl)
  missing=()
  for c in "${node_commands[@]}"; do [[ -x "${OUT}/${c}" ]] || missing+=("k8s.io/kubernetes/cmd/${c}"); done
  if ((${#missing[@]} == 0)); then log "node commands present"; else
    log "building ${missing[*]##*/} v${KUBE_VERSION} (cold: about 8-12 minutes)"
    build_kubernetes node "${missing[@]}"
  fi
fi
echo "$OUT"
