#!/usr/bin/env bash
# make e2e: a real single-node cluster (test/e2e) with the operator installed from its image.
# Builds what it needs, cached like the test control plane: the Kubernetes node binaries
# (hack/build-control-plane.sh node, through the Go module proxy), containerd, runc, the CNI
# plugins, iptables and conntrack from Debian, the operator's release files of two versions
# (make release: image, install.yaml, chart) and the test images (emulator, consumer, pause),
# then runs test/e2e, which tears everything down and checks it did. Needs root.
#
#   hack/e2e.sh [test/e2e flags, e.g. -only install,first-token]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "e2e: $*" >&2; }

if [[ "$(id -u)" != 0 ]]; then
  log "must run as root: it starts containerd, runc and a kubelet in network, mount and PID namespaces of its own (sudo make e2e)"
  exit 1
fi

PACKAGES=(containerd runc containernetworking-plugins iptables conntrack)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

K8S="$(hack/build-control-plane.sh node)"
OUT="${ROOT}/bin/e2e"
mkdir -p "${OUT}/images"

# Two releases, so that the upgrade changes the image tag; the first is built last, so that
# dist/install.yaml names it. Only this machine's platform: the image is imported, not pushed.
# make release takes its notes from a changelog section of the version: these test versions
# have theirs in a changelog of their own, not in CHANGELOG.md.
VERSION="${E2E_VERSION:-0.0.0-e2e.1}"
NEXT_VERSION="${E2E_NEXT_VERSION:-0.0.0-e2e.2}"
printf '# Changelog\n\n## [%s]\n\n- e2e upgrade target.\n\n## [%s]\n\n- e2e release.\n' \
  "$NEXT_VERSION" "$VERSION" >"${OUT}/CHANGELOG.md"
for v in "$NEXT_VERSION" "$VERSION"; do
  make --no-print-directory release VERSION="$v" IMAGE_PLATFORMS="linux/$(go env GOARCH)" PLUGIN_PLATFORMS="linux/$(go env GOARCH)" \
    CHANGELOG="${OUT}/CHANGELOG.md" >/dev/null
  cp "dist/cyclr-token-operator-${v}.oci.tar" "${OUT}/images/"
done

# The emulator, the consumer and the pod sandbox, each a static binary on an empty image.
for image in cyclr-emulator:./hack/cyclr-emulator consumer:./test/e2e/images/consumer pause:./test/e2e/images/pause; do
  name="${image%%:*}"
  go run ./hack/image -package "${image#*:}" -binary "$name" -ref "e2e.local/${name}:1" \
    -platforms "linux/$(go env GOARCH)" -out "${OUT}/images/${name}.oci.tar" >/dev/null
done

# The plugin as a user installs it: from its release archive.
tar -xzf "dist/kubectl-cyclr-${VERSION}-linux-$(go env GOARCH).tar.gz" -C "${OUT}" kubectl-cyclr

go build -o "${OUT}/e2e" ./test/e2e
rm -rf "${OUT}/logs"
exec "${OUT}/e2e" -k8s "$K8S" -helm "${ROOT}/bin/helm" -kubectl-cyclr "${OUT}/kubectl-cyclr" -images "${OUT}/images" \
  -chart "dist/cyclr-token-operator-${VERSION}.tgz" -chart-next "dist/cyclr-token-operator-${NEXT_VERSION}.tgz" \
  -install-yaml dist/install.yaml -version "$VERSION" -next-version "$NEXT_VERSION" \
  -logs "${OUT}/logs" -figures "${OUT}/figures.md" "$@"
