#!/usr/bin/env bash
# Build, or reuse, the squashfs image that gives the guest a fast Go:
#   root/<path>  GOROOT and the trees its symlinks point to, at host paths
#   binds        those paths, one a line (guest-init.sh bind-mounts each)
# and next to it, as a plain directory, a GOCACHE warmed on the host
# (go-KEY.gocache): run.sh copies it onto the guests' scratch disk, where
# the sandboxes can idmap it (see README, "The scratch disk").
# Called by build-image.sh (which holds the cache lock) as
#   go-image.sh CACHE_DIR SCRATCH_DIR
# and prints the image's path. The key is the go version, the paths and
# this script's content.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$1 tmp=$2

log() { printf 'v2vm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

goroot=$(realpath "$(go env GOROOT)")
# Debian's GOROOT has symlinks out of it (src -> /usr/share/go-X/src): the
# image holds their targets too, so nothing of Go is read over 9p.
binds=("$goroot")
while IFS= read -r -d '' l; do
  t=$(realpath "$l")
  case $t in "$goroot"/*) ;; *) [ ! -d "$t" ] || binds+=("$t") ;; esac
done < <(find "$goroot" -type l -print0)

# Flavours of std a build may use (testjail test runs plain go test -c,
# CGO_ENABLED=0 when asked). Those that do not match Debian's precompiled
# GOROOT/pkg make go rebuild std into GOCACHE: seconds here, minutes under
# TCG. Separate flavours with ';', e.g. add 'CGO_ENABLED=1 -trimpath'.
warm=${V2VM_GO_WARM:-'CGO_ENABLED=1;CGO_ENABLED=0'}

key=$({ go version; printf '%s\n' "${binds[@]}" "$warm"; cat "$here/go-image.sh"; } | sha256sum | cut -c1-16)
img=$cache/go-$key.sqfs
if [ -e "$img" ] && [ -d "${img%.sqfs}.gocache" ]; then
  echo "$img"
  exit 0
fi

t0=$SECONDS
s=$tmp/go
gc=$tmp/gocache
mkdir -p "$s/root" "$gc"
for b in "${binds[@]}"; do
  mkdir -p "$s/root$(dirname "$b")"
  # Hard links when the cache shares the file system: no copying.
  cp -al "$b" "$s/root$b" 2>/dev/null || { rm -rf "$s/root$b"; cp -a "$b" "$s/root$b"; }
done
printf '%s\n' "${binds[@]}" >"$s/binds"

# A throwaway module whose test imports what tests commonly pull in.
w=$tmp/warm
mkdir -p "$w"
printf 'module v2vmwarm\n\ngo 1.16\n' >"$w/go.mod"
cat >"$w/warm_test.go" <<'EOF'
package v2vmwarm

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"syscall"
	"testing"
)

func TestWarm(t *testing.T) {
	_, _, _, _, _ = json.Marshal, http.Get, exec.Command, signal.Notify, debug.SetGCPercent
	_ = syscall.Getpid()
}
EOF
IFS=';' read -r -a flavours <<<"$warm"
for f in "${flavours[@]}"; do
  read -r -a words <<<"$f"
  envs=() flags=()
  for x in "${words[@]}"; do case $x in *=*) envs+=("$x") ;; *) flags+=("$x") ;; esac; done
  # go test, not just -c: it also caches the vet results go test needs.
  (cd "$w" && env GOCACHE="$gc" GOFLAGS= GOPROXY=off GO111MODULE=on GOWORK=off "${envs[@]}" \
    go test -count=1 ${flags[@]+"${flags[@]}"} . >/dev/null) || die "warming GOCACHE ($f) failed"
done

# lz4: 3 s to build here and the cheapest to decompress under TCG.
mksquashfs "$s" "$img.tmp" -comp lz4 -noappend -quiet -no-progress -all-root >&2
rm -rf "${img%.sqfs}.gocache"
mv "$gc" "${img%.sqfs}.gocache"
mv "$img.tmp" "$img"
find "$cache" -maxdepth 1 -name 'go-*.sqfs' ! -path "$img" -delete
find "$cache" -maxdepth 1 -name 'go-*.gocache' ! -path "${img%.sqfs}.gocache" -exec rm -rf {} +
log "GOROOT image built in $((SECONDS - t0))s: ${img##*/} ($(du -h "$img" | cut -f1))"
echo "$img"
