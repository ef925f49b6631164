#!/usr/bin/env bash
# Writes the manager's SBOM to $1: CycloneDX JSON from cyclonedx-gomod's app mode (the modules
# ./cmd is built from, with their licenses), for linux/amd64 with cgo off as in the image; the
# module list is the same for linux/arm64. `make sbom` runs it with CYCLONEDX_GOMOD set.
#
# No serial number and no timestamp: the same commit gives the same file, like the image.
#
# cyclonedx-gomod reads the main module's version from git through go-git, which cannot open a
# linked worktree (`git worktree add`: there .git is a file and the refs live elsewhere). In one,
# it is pointed at a view of the module whose .git is a plain directory: HEAD detached at the
# worktree's commit, objects and refs linked from the shared repository. It then finds the same
# version a clone would give.
set -euo pipefail

out=${1:?usage: hack/sbom.sh OUTPUT.json}
: "${CYCLONEDX_GOMOD:?set CYCLONEDX_GOMOD to the cyclonedx-gomod binary (make sbom does)}"

module=$PWD
git_dir=$(git rev-parse --absolute-git-dir)
common_dir=$(cd "$(git rev-parse --git-common-dir)" && pwd)
if [ "$git_dir" != "$common_dir" ]; then
  module=$(mktemp -d)
  trap 'rm -rf "$module"' EXIT
  for entry in "$PWD"/*; do ln -s "$entry" "$module/"; done
  mkdir "$module/.git"
  git rev-parse HEAD >"$module/.git/HEAD"
  for entry in objects refs packed-refs; do
    if [ -e "$common_dir/$entry" ]; then ln -s "$common_dir/$entry" "$module/.git/$entry"; fi
  done
fi

mkdir -p "$(dirname "$out")"
GOOS=linux GOARCH=amd64 CGO_ENABLED=0 "$CYCLONEDX_GOMOD" app -json -licenses -noserial -notimestamp \
  -main cmd -output "$(realpath -m "$out")" "$module"
