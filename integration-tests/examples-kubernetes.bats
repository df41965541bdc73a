#!/usr/bin/env bats
# examples/kubernetes: the manifests decode strictly with Kubernetes' own API
# types (k8s.io/api, through the module proxy), and the Indexed Job tells
# testjail's exit codes apart. Its Go test is a module of its own.
# v2vm: host only: a Go test of the manifests, which needs the module proxy the guests do not reach

load common

setup_file() {
  tj_setup_file
  require_cmd go
}

@test "examples/kubernetes: the manifests validate against k8s.io/api, strictly" {
  cd "$TJ_REPO/examples/kubernetes"
  export GOWORK=off GOFLAGS=-mod=readonly
  if ! out=$(go mod download 2>&1); then
    local proxy
    proxy=$(go env GOPROXY)
    proxy=${proxy%%,*}
    if [ "$proxy" = off ] || ! curl -s -o /dev/null -m 20 "$proxy/"; then
      skip_because "the module proxy ($proxy) is unreachable, so k8s.io/api cannot be fetched: $out"
    fi
    echo "go mod download failed with the proxy reachable: $out" >&2
    return 1
  fi
  run go test -count=1 ./...
  assert_eq "$status" 0 "go test: $output"
  assert_contains "$output" "ok"
}
