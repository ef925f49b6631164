# Image URL to use all building/pushing image targets
IMG ?= controller:latest
# YEAR defines the year value used for substituting the YEAR placeholder in the boilerplate header.
YEAR ?= $(shell date +%Y)

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set)
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker which is
# scaffolded by default. However, you might want to replace it to use other
# tools. (i.e. podman)
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate WebhookConfiguration, ClusterRole and CustomResourceDefinition objects; copy what the Helm chart takes from config/ into it.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases
	hack/sync-chart-files.sh

.PHONY: generate
generate: controller-gen ## Generate code containing DeepCopy, DeepCopyInto, and DeepCopyObject method implementations.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt",year=$(YEAR) paths="./..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

# Tests outside test/ need no control plane: the decisions (internal/policy), the Reconcile
# table (fake clients), the Cyclr client and emulator, the CRD file. test/ holds the suites that
# run against a real kube-apiserver and etcd.
UNIT_PKGS = $(shell go list ./... | grep -v '/test/')

.PHONY: test
# Generating and formatting are make verify's: a test run checks the tree as it is.
test: control-plane kustomize helm ## Run all tests: unit, then against a real kube-apiserver and etcd (built from source by hack/).
	KUBEBUILDER_ASSETS="$(CONTROL_PLANE)" KUSTOMIZE="$(KUSTOMIZE)" HELM="$(HELM)" go test ./... -coverprofile cover.out -timeout 20m
	$(MAKE) fuzz

.PHONY: test-unit
test-unit: ## Run every test that needs no control plane (seconds on a warm cache).
	go test $(UNIT_PKGS)

.PHONY: verify
verify: manifests generate ## Fail when generated files, go.mod/go.sum or formatting differ from what is committed.
	go mod tidy
	@bad="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$bad" ]; then echo "verify: not gofmt-ed:"; echo "$$bad"; exit 1; fi
	@if [ -n "$$(git status --porcelain -- api config charts go.mod go.sum)" ]; then \
		echo "verify: regenerating or tidying changed these files; run 'make manifests generate' and 'go mod tidy', then commit:"; \
		git status --porcelain -- api config charts go.mod go.sum; git diff --stat -- api config charts go.mod go.sum; exit 1; fi

FUZZTIME ?= 10s
.PHONY: fuzz
fuzz: ## Run the Cyclr response parser's fuzz target briefly.
	go test ./internal/cyclr -run '^$$' -fuzz FuzzParseTokenResponse -fuzztime $(FUZZTIME)

.PHONY: control-plane
control-plane: ## Build kube-apiserver and etcd from source into bin/k8s (skipped when present).
	@hack/build-control-plane.sh >/dev/null

.PHONY: lint
lint: golangci-lint ## Run golangci-lint linter
	"$(GOLANGCI_LINT)" run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint linter and perform fixes
	"$(GOLANGCI_LINT)" run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify golangci-lint linter configuration
	"$(GOLANGCI_LINT)" config verify

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build manager binary (VERSION and REVISION stamped: bin/manager --version).
	go build -ldflags "$(VERSION_LDFLAGS)" -o bin/manager ./cmd

.PHONY: plugin
plugin: ## Build the kubectl plugin bin/kubectl-cyclr (VERSION and REVISION stamped: kubectl cyclr version); see docs/kubectl-plugin.md.
	go build -ldflags "$(VERSION_LDFLAGS)" -o bin/kubectl-cyclr ./cmd/kubectl-cyclr

# RUN_ARGS are passed to the manager by `make run` when a cluster is reachable, e.g.
# make run RUN_ARGS="--namespaces=integrations --zap-log-level=debug"
RUN_ARGS ?=
.PHONY: run
run: manifests generate fmt vet ## Run the operator from your host against the current kube context; with no reachable cluster, run the local demo (make demo).
	@if timeout 10 "$(KUBECTL)" version --request-timeout=5s >/dev/null 2>&1; then \
		echo "run: running the manager against kube context '$$("$(KUBECTL)" config current-context 2>/dev/null)'"; \
		"$(KUBECTL)" get crd cyclrcredentials.auth.cyclr-operator.io >/dev/null 2>&1 || \
			{ echo "run: the CyclrCredential CRD is not installed in this cluster: run 'make install run'"; exit 1; }; \
		go run -ldflags "$(VERSION_LDFLAGS)" ./cmd $(RUN_ARGS); \
	else \
		echo "run: no reachable Kubernetes cluster ('$(KUBECTL) version' failed): running the local demo instead"; \
		hack/demo.sh; \
	fi

.PHONY: demo
demo: manifests ## Run the local demo: a control plane from bin/k8s, the Cyclr emulator, the samples and the manager (Ctrl-C stops all).
	hack/demo.sh

# If you wish to build the manager image targeting other platforms you can use the --platform flag.
# (i.e. docker build --platform linux/arm64). However, you must enable docker buildKit for it.
# More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# Override BASE_IMAGE to build from another registry, e.g.
# make docker-build IMG=<img> BASE_IMAGE=docker.io/library/golang:1.26
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

# PLATFORMS defines the target platforms for the manager image be built to provide support to multiple
# architectures. (i.e. make docker-buildx IMG=myregistry/mypoperator:0.0.1). To use this option you need to:
# - be able to use docker buildx. More info: https://docs.docker.com/build/buildx/
# - have enabled BuildKit. More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# - be able to push the image to your registry (i.e. if you do not set a valid value via IMG=<myregistry/image:<tag>> then the export will fail)
# To adequately provide solutions that are compatible with multiple platforms, you should consider using this option.
PLATFORMS ?= linux/arm64,linux/amd64,linux/s390x,linux/ppc64le
.PHONY: docker-buildx
docker-buildx: ## Build and push docker image for the manager for cross-platform support
	# copy existing Dockerfile and insert --platform=${BUILDPLATFORM} into Dockerfile.cross, and preserve the original Dockerfile
	sed -e '1 s/\(^FROM\)/FROM --platform=\$$\{BUILDPLATFORM\}/; t' -e ' 1,// s//FROM --platform=\$$\{BUILDPLATFORM\}/' Dockerfile > Dockerfile.cross
	- $(CONTAINER_TOOL) buildx create --name cyclr-token-operator-builder
	$(CONTAINER_TOOL) buildx use cyclr-token-operator-builder
	- $(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --tag ${IMG} -f Dockerfile.cross .
	- $(CONTAINER_TOOL) buildx rm cyclr-token-operator-builder
	rm Dockerfile.cross

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate a consolidated YAML with CRDs and deployment.
	mkdir -p dist
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default > dist/install.yaml

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" apply -f -; else echo "No CRDs to install; skipping."; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -; else echo "No CRDs to delete; skipping."; fi

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator (image IMG) to the current kube context and wait for it to roll out.
	@if [ "${IMG}" = "controller:latest" ]; then echo "deploy: warning: IMG is the placeholder controller:latest; pass IMG=<registry>/cyclr-token-operator:<tag>"; fi
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" apply -f -
	"$(KUBECTL)" -n cyclr-token-operator-system rollout status deployment/cyclr-token-operator-controller-manager --timeout=$(DEPLOY_TIMEOUT)

DEPLOY_TIMEOUT ?= 180s

.PHONY: undeploy
undeploy: kustomize ## Undeploy the operator, its CRD (and so every CyclrCredential) and its namespace. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool Binaries
KUBECTL ?= kubectl
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
ENVTEST ?= $(LOCALBIN)/setup-envtest
GOLANGCI_LINT = $(LOCALBIN)/golangci-lint
HELM ?= $(LOCALBIN)/helm

## Tool Versions
KUSTOMIZE_VERSION ?= v5.8.1
CONTROLLER_TOOLS_VERSION ?= v0.23.0

# setup-envtest v0.25.2 (what the scaffold derives from go.mod) is not served; its downloads
# cannot be reached here anyway: the control plane is built from source (CONTROL_PLANE).
ENVTEST_VERSION ?= v0.25.1
CONTROL_PLANE = $(shell hack/build-control-plane.sh 2>/dev/null)

GOLANGCI_LINT_VERSION ?= v2.15.0
# Helm 4 builds with this Go through the module proxy (go install); its `version` prints v4.3
# because go install sets no version ldflags.
HELM_VERSION ?= v4.3.1
.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: envtest
envtest: $(ENVTEST) ## Install setup-envtest (pinned; for use where its downloads are reachable).
$(ENVTEST): $(LOCALBIN)
	$(call go-install-tool,$(ENVTEST),sigs.k8s.io/controller-runtime/tools/setup-envtest,$(ENVTEST_VERSION))

.PHONY: helm
helm: $(HELM) ## Download helm locally if necessary.
$(HELM): $(LOCALBIN)
	$(call go-install-tool,$(HELM),helm.sh/helm/v4/cmd/helm,$(HELM_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Download golangci-lint locally if necessary.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef

##@ Benchmarks and reliability

# BENCH_ARGS are passed to test/bench, e.g. a quick run: make bench BENCH_ARGS="-n 50 -unrelated 500"
BENCH_ARGS ?=
.PHONY: bench
bench: control-plane ## Measure the operator under load (bin/manager, a real API server, the Cyclr emulator); see docs/benchmarks.md.
	go build -ldflags "$(VERSION_LDFLAGS)" -o bin/manager ./cmd
	KUBEBUILDER_ASSETS="$(CONTROL_PLANE)" go run ./test/bench $(BENCH_ARGS)

# E2E_ARGS are passed to test/e2e, e.g. make e2e E2E_ARGS="-only install,first-token"
E2E_ARGS ?=
.PHONY: e2e
e2e: ## As root: a real single-node cluster (kubelet, containerd, runc) in namespaces of its own, the operator installed from its image, pods consuming the token; see docs/development.md.
	@[ "$$(id -u)" = 0 ] || { echo "e2e: must run as root: it starts containerd, runc and a kubelet in namespaces of its own (sudo make e2e)"; exit 1; }
	$(MAKE) --no-print-directory kustomize helm
	hack/e2e.sh $(E2E_ARGS)

.PHONY: test-reliability
test-reliability: control-plane ## Run the reliability tests only: crash between Cyclr and the write, leader election, conflicts, hostile input, leaks, RBAC.
	KUBEBUILDER_ASSETS="$(CONTROL_PLANE)" go test ./test/reliability -count=1 -timeout 10m

##@ Image and release

# The image is built without a container engine: hack/image cross-builds ./cmd and writes an OCI
# image layout tar (linux/amd64 + linux/arm64) that `ctr -n k8s.io images import` names
# $(IMAGE_REF). The chart's default image is the same repository. See docs/development.md.
IMAGE_REPO ?= ghcr.io/cyclr-operator/cyclr-token-operator
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
# The image tag and chart version; by default git's description of HEAD (a tag or the commit).
# Evaluated once, so that every file of one run carries the same one.
ifeq ($(origin VERSION),undefined)
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
endif
# The commit: the image's revision label. Both are stamped into the manager (internal/version:
# --version, the start log line, cyclr_operator_build_info), never a build time, so that a
# build stays reproducible.
ifeq ($(origin REVISION),undefined)
REVISION := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
endif
VERSION_PKG = github.com/cyclr-operator/cyclr-token-operator/internal/version
VERSION_LDFLAGS = -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION)
IMAGE_REF = $(IMAGE_REPO):$(VERSION)
IMAGE_ARCHIVE = dist/cyclr-token-operator-$(VERSION).oci.tar
SBOM = dist/cyclr-token-operator-$(VERSION).cdx.json
# make release takes the notes from this file's "## [VERSION]" section (hack/release-notes).
CHANGELOG ?= CHANGELOG.md
RELEASE_NOTES = dist/RELEASE-NOTES-$(VERSION).md
CHART_ARCHIVE = dist/cyclr-token-operator-$(VERSION).tgz
# The kubectl plugin: one archive per platform (kubectl-cyclr and LICENSE) and the krew manifest
# plugins/cyclr.yaml rendered with their URLs and SHA-256 (hack/plugin-release).
PLUGIN_PLATFORMS_ALL = linux/amd64,linux/arm64,darwin/amd64,darwin/arm64
PLUGIN_PLATFORMS ?= $(PLUGIN_PLATFORMS_ALL)
comma := ,
PLUGIN_ARCHIVES = $(foreach p,$(subst $(comma), ,$(PLUGIN_PLATFORMS)),dist/kubectl-cyclr-$(VERSION)-$(subst /,-,$(p)).tar.gz)
# Only a release of every platform has a krew manifest (make e2e builds one platform).
KREW_MANIFEST = $(if $(subst $(PLUGIN_PLATFORMS_ALL),,$(PLUGIN_PLATFORMS)),,dist/cyclr.yaml)
# What SHA256SUMS lists: every file of the release, named relative to dist/.
RELEASE_FILES = $(IMAGE_ARCHIVE) $(SBOM) dist/install.yaml $(CHART_ARCHIVE) $(RELEASE_NOTES) $(PLUGIN_ARCHIVES) $(KREW_MANIFEST)
# Semantic version without a leading v or +build metadata: it is an image tag and a chart version.
RELEASE_VERSION_PATTERN = ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$$

CYCLONEDX_GOMOD ?= $(LOCALBIN)/cyclonedx-gomod
CYCLONEDX_GOMOD_VERSION ?= v1.10.0

.PHONY: image
image: ## Build the manager's OCI image (IMAGE_PLATFORMS, no container engine): dist/cyclr-token-operator-<VERSION>.oci.tar.
	go run ./hack/image -ref "$(IMAGE_REF)" -revision "$(REVISION)" -platforms "$(IMAGE_PLATFORMS)" -out "$(IMAGE_ARCHIVE)"

.PHONY: sbom
sbom: cyclonedx-gomod ## Write the manager's CycloneDX SBOM (JSON) beside the image: dist/cyclr-token-operator-<VERSION>.cdx.json.
	CYCLONEDX_GOMOD="$(CYCLONEDX_GOMOD)" hack/sbom.sh "$(SBOM)"
	@echo "$(SBOM)"

# install.yaml is built from a temporary overlay in dist/ that sets the image, so that
# config/manager/kustomization.yaml (which build-installer edits) is left as it is. (kustomize
# takes no absolute path to a base, hence dist/ rather than /tmp.)
.PHONY: release
release: ## Build release VERSION=x.y.z into dist/: image archive, SBOM, install.yaml, Helm chart, kubectl plugin archives and krew manifest, release notes, SHA256SUMS.
	@if [ "$(origin VERSION)" = file ]; then echo "release: say which version: make release VERSION=x.y.z"; exit 1; fi
	@[[ "$(VERSION)" =~ $(RELEASE_VERSION_PATTERN) ]] || { echo "release: VERSION=$(VERSION) is not x.y.z or x.y.z-prerelease" \
		"(semantic version, no leading v, no +build metadata): it becomes the image tag and the chart version"; exit 1; }
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "release: warning: uncommitted changes; the image's revision label names HEAD, $$(git rev-parse --short HEAD)"; fi
	@chart="$$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$$/\1/p' charts/cyclr-token-operator/Chart.yaml)"; \
	if [ "$$chart" != "$(VERSION)" ]; then echo "release: warning: charts/cyclr-token-operator/Chart.yaml says appVersion" \
		"$$chart; the packaged chart says $(VERSION), but an install from the repository path would pull $$chart"; fi
	go run ./hack/release-notes -version "$(VERSION)" -changelog "$(CHANGELOG)" -out "$(RELEASE_NOTES)"
	$(MAKE) image sbom kustomize helm
	@overlay="$$(mktemp -d dist/.install-overlay.XXXXXX)"; trap 'rm -rf "$$overlay"' EXIT; \
	(cd "$$overlay" && "$(KUSTOMIZE)" create --resources ../../config/default && \
		"$(KUSTOMIZE)" edit set image controller="$(IMAGE_REF)"); \
	"$(KUSTOMIZE)" build "$$overlay" > dist/install.yaml
	"$(HELM)" package charts/cyclr-token-operator --version "$(VERSION)" --app-version "$(VERSION)" -d dist/
	$(MAKE) --no-print-directory plugin-release

.PHONY: plugin-release
plugin-release: ## Cross-build the kubectl plugin's release archives (PLUGIN_PLATFORMS) and render the krew manifest dist/cyclr.yaml.
	go run ./hack/plugin-release -version "$(VERSION)" -revision "$(REVISION)" -platforms "$(PLUGIN_PLATFORMS)" -out dist
	cd dist && $$(command -v sha256sum >/dev/null && echo sha256sum || echo shasum -a 256) \
		$(patsubst dist/%,%,$(RELEASE_FILES)) > SHA256SUMS
	@ls -l $(RELEASE_FILES) dist/SHA256SUMS

.PHONY: cyclonedx-gomod
cyclonedx-gomod: $(CYCLONEDX_GOMOD) ## Download cyclonedx-gomod locally if necessary.
$(CYCLONEDX_GOMOD): $(LOCALBIN)
	$(call go-install-tool,$(CYCLONEDX_GOMOD),github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod,$(CYCLONEDX_GOMOD_VERSION))
