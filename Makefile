# ctl — see README.md. Targets are thin; the work is in hack/ and go test.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/ctl
GO_TEST_FLAGS ?= -count=1

##@ Build

.PHONY: build
build: ## Build bin/ctl and bin/ctl-kube (ctl runs it for distributed deployments)
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ctl
	go build -ldflags "$(LDFLAGS)" -o bin/ctl-kube ./cmd/ctl-kube

##@ Main job

.PHONY: demo
demo: build ## The main job: config sequence, local deploy, smoke canaries (scratch CTL_HOME)
	bash hack/demo.sh $(BIN)

##@ Test

.PHONY: test
test: testinfra ## Run every test (starts real Prometheus and S3 servers on loopback)
	go test $(GO_TEST_FLAGS) ./...

.PHONY: testinfra
testinfra: ## Install Prometheus (Debian) and build versitygw for the tests
	bash hack/testinfra/ensure.sh

.PHONY: golden
golden: ## Rewrite golden files (CLI output, judge goldens from R)
	go test ./cmd/root/ -run 'TestCommands|TestSeed|TestCanaryJudge' -update
	go test ./charts/ -update
	go test ./installer/... -run Golden -update
	@if [ -x hack/judge/gen-golden.sh ]; then ./hack/judge/gen-golden.sh; fi

.PHONY: bench
bench: ## Benchmarks: CLI start-up vs edit, judge, analysis service, deploy apply (and R, when installed)
	go test -run '^$$' -bench Startup -benchtime 50x ./cmd/ctl/
	go test -run '^$$' -bench Smoke -benchtime 1x ./cmd/ctl/
	@if [ -d kayenta/judge ]; then go test -run '^$$' -bench . -benchmem ./kayenta/judge/; fi
	@if [ -d kayenta/server ]; then go test -run '^$$' -bench Service -benchtime 1x ./kayenta/server/; fi
	go test -run '^$$' -bench Apply -benchtime 10x ./installer/kube/
	@if [ -x hack/judge/bench-r.sh ]; then ./hack/judge/bench-r.sh; fi

##@ Lint

.PHONY: lint
lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

.PHONY: help
help: ## Show targets
	@awk 'BEGIN {FS = ":.*##"} /^[a-z-]+:.*##/ {printf "  %-10s %s\n", $$1, $$2} /^##@/ {printf "\n%s\n", substr($$0, 5)}' $(MAKEFILE_LIST)
