#!/usr/bin/env bash
# Install the Debian packages that build, test and demo need; only the
# missing ones, so a second run does nothing.
set -euo pipefail
pkgs=(gcc make pkg-config libseccomp-dev libcap-ng-dev libjansson-dev
      libcgroup-dev libmd-dev libcmocka-dev bats bubblewrap iproute2 procps uidmap
      util-linux python3 qemu-system-x86 busybox-static cpio squashfs-tools
      xz-utils hyperfine gotestsum libxml2-utils)
# bisect-memory's --plot is checked by rendering the SVG (rsvg-convert); the live view under a pty (script, util-linux).
pkgs+=(librsvg2-bin)
# ci-examples.bats reads the CI examples' YAML (examples/ci).
pkgs+=(python3-yaml)
# v2-only.bats checks clone3 CLONE_INTO_CGROUP and cgroup.kill with strace.
pkgs+=(strace)
# testjail init is compared with tini and dumb-init, and run as a runc container's entrypoint.
pkgs+=(tini dumb-init runc)
# Podman's default seccomp profile (usr/share/containers/seccomp.json) for the
# profile parser's tests; clang for the libFuzzer target (make fuzz, fuzz-smoke).
pkgs+=(golang-github-containers-common clang libclang-rt-dev)
# make format and format-check (in check): the C sources in .clang-format's style.
pkgs+=(clang-format)
# Go: the newest on the machine is the one the suite runs with (.ci/run puts
# it first in PATH); Debian's (1.19 in bookworm) only where there is none,
# so it never lands ahead of a newer one.
if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  pkgs+=(golang-go)
fi
# More packages a target needs (check-go: Debian's Go 1.19 beside the newest).
pkgs+=("$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
