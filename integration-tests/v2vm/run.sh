#!/usr/bin/env bash
# make check-v2: run the integration suite in pure cgroup v2 QEMU guests.
#
#   integration-tests/v2vm/run.sh [BATS_FILE...]     (default: integration-tests/*.bats)
#
# Each guest is a Debian kernel booted with cgroup_no_v1=all under TCG. It
# sees the host's root read-only (overlaid with a tmpfs) at the same paths,
# so the testjail and tjhelper built on the host run there unchanged.
# TCG runs one vCPU per host core at best, so the bats files are spread
# over several guests (shards) that boot side by side. Results come back
# over a writable 9p share per guest. Exit status: 0 only when every pass in
# every guest passed; non-zero when a test fails, a guest dies or times
# out, or no status comes back. Environment knobs: see README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${V2VM_CACHE:-$repo/.cache/v2vm}
# A backstop for a hung guest, not the target. By default each guest's
# bound comes from the measured seconds of its files (see "shards").
timeout_s=${V2VM_TIMEOUT:-}
t_start=$SECONDS

log() { printf 'v2vm: %s\n' "$*"; }
die() { log "error: $*" >&2; exit 1; }

# --- host tools ------------------------------------------------------------
need=()
PATH=$PATH:/usr/sbin:/sbin   # mkfs.ext4, for a user whose PATH lacks them
for p in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio \
         mksquashfs:squashfs-tools xz:xz-utils bats:bats unshare:util-linux mkfs.ext4:e2fsprogs; do
  command -v "${p%%:*}" >/dev/null || need+=("${p#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages: ${need[*]} (run make deps as root)"
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The kernel command line carries the script path: no spaces possible.
case $repo in *[[:space:]]*) die "the repo path has white space: $repo" ;; esac

results=$(mktemp -d "${TMPDIR:-/tmp}/testjail-v2vm.XXXXXX")
scratch=   # the scratch disk and the guests' layers over it, under $cache
bg_pids=()
cleanup() {
  # timeout runs in its own process group, out of reach of ^C: stop it here.
  local p
  for p in ${bg_pids[@]+"${bg_pids[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
  [ -z "$scratch" ] || rm -rf "$scratch"
  if [ "${V2VM_KEEP:-0}" = 1 ]; then log "results kept in $results"; else rm -rf "$results"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- which tests -------------------------------------------------------------
# The guest sees the host's files at the same paths, except under its own
# /tmp, /var/tmp, /run and /dev: bats files from there travel on the results
# share, with the *.bash helpers next to them (bats `load`).
mkdir -p "$results/tests"
# realpath -s: a link keeps its name (escape-user.bats is escape.bats
# under another name, and the name is what it goes by).
guest_path() {
  local f d
  f=$(realpath -s "$1") && [ -f "$f" ] || { log "error: no such bats file: $1" >&2; return 1; }
  case $f in
    "$repo"/*) printf '%s\n' "$f" ;;   # guest-init lays a checkout under /tmp, /var/tmp or /run back
    /tmp/* | /var/tmp/* | /run/* | /dev/*)
      d=$(mktemp -d "$results/tests/XXXX")
      cp "$f" "$d/"
      find "${f%/*}" -maxdepth 1 -name '*.bash' -exec cp {} "$d/" \;
      printf '/run/v2vm/results/tests/%s/%s\n' "${d##*/}" "${f##*/}" ;;
    *) printf '%s\n' "$f" ;;
  esac
}
excluded=() host_only=()
files=()       # host paths
gfiles=()      # the same files as the guest sees them
if [ $# -gt 0 ]; then
  for a in "$@"; do
    files+=("$(realpath -s "$a")")
    gfiles+=("$(guest_path "$a")") || exit 1
  done
else
  read -r -a exclude <<<"${V2VM_EXCLUDE:-}"   # read: no glob expansion here
  shopt -s nullglob
  for f in "$repo"/integration-tests/*.bats; do
    # V2VM_EXCLUDE: basenames or globs kept out of the guests (said below).
    for x in ${exclude[@]+"${exclude[@]}"}; do
      # shellcheck disable=SC2053
      [[ ${f##*/} != $x ]] || { excluded+=("${f##*/}"); continue 2; }
    done
    # A file whose subject cannot differ between cgroup layouts says so
    # in a "# v2vm: host only: REASON" line; naming it runs it all the same.
    reason=$(sed -n '/^# v2vm: host only: /{s///p;q;}' "$f")
    if [ -n "$reason" ]; then
      host_only+=("${f##*/} ($reason)")
      continue
    fi
    files+=("$f")
  done
  gfiles=(${files[@]+"${files[@]}"})
  shopt -u nullglob
  [ ${#files[@]} -gt 0 ] || die "no integration-tests/*.bats to run"
fi

# The nested pass (see guest-run.sh) runs the files V2VM_NESTED_BATS names,
# when it names some. A full run has none: v2-only.bats builds its own
# private cgroup namespaces, one per case, for less than a second pass
# costs under TCG.
nested=() gnested=() nested_skip=
if [ -n "${V2VM_NESTED_BATS:-}" ] && [ "$V2VM_NESTED_BATS" != none ]; then
  for a in $V2VM_NESTED_BATS; do
    nested+=("$(realpath -s "$a")")
    gnested+=("$(guest_path "$a")") || exit 1
  done
else
  nested_skip="not asked for (V2VM_NESTED_BATS names its files)"
fi

testjail=${TESTJAIL:-$repo/testjail}
tjhelper=${TJHELPER:-$repo/integration-tests/helper/tjhelper}
for b in "$testjail" "$tjhelper"; do
  [ -x "$b" ] || log "warning: $b is missing (make testjail integration-tests/helper/tjhelper)"
done

host_gocache=
# The guests run the go first in the host's PATH (the one the Go image
# holds), not whichever their own PATH finds first (Debian's older one).
go_bin_dir=
if command -v go >/dev/null; then
  go_bin_dir=$(dirname "$(command -v go)")
  host_gocache=$(go env GOCACHE 2>/dev/null || true)
  [ "$host_gocache" != off ] || host_gocache=
fi

# The guests' Go tests copy examples/ to one fixed path (gotest.bash,
# TJ_EXAMPLES_DIR), because Go's build cache keys a package on its directory
# too. Build them once here at that path: the compile and vet results land in
# the host's GOCACHE, which goes onto the guests' scratch disk, and each guest
# then only links (a cold compile costs ~10 s there, ~0.5 s here).
examples_dir=/var/tmp/tjtest-examples
prewarm_examples() {
  local p
  rm -rf "$examples_dir" && cp -r "$repo/examples" "$examples_dir" || return 0
  for p in $(cd "$examples_dir" && go list ./... 2>/dev/null); do
    (cd "$examples_dir" && go test -c -o /dev/null "$p") >/dev/null 2>&1 || true
  done
  rm -rf "$examples_dir"
}
t0=$SECONDS
if [ -n "$host_gocache" ] && [ -d "$repo/examples" ] && grep -lq '^load gotest' "${files[@]}" /dev/null; then
  mkdir -p "$cache"
  ( flock 9 && prewarm_examples ) 9>"$cache/examples.lock"
  log "Go examples built on the host for the guests' cache in $((SECONDS - t0))s"
fi

# --- shards ------------------------------------------------------------------
# One guest per host core (TCG's ceiling), 3 GB of free memory each, no more
# than there are files. V2VM_SHARDS overrides.
mem_gb=$(awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo)
nshards=${V2VM_SHARDS:-$(nproc)}
[ "$nshards" -le $((mem_gb / 3)) ] || nshards=$((mem_gb / 3))
[ "$nshards" -le ${#files[@]} ] || nshards=${#files[@]}
[ "$nshards" -le 8 ] || nshards=8
[ "$nshards" -ge 1 ] || nshards=1

# Weight of a file: its seconds in the last run (kept in the cache), else
# in durations.seed (measured here, for a clean clone), else per @test 30 s
# for a file that builds Go (load gotest) and 10 s for others (a busy
# host's pace: the guess also sizes the bound below). Heaviest first onto
# the lightest shard.
durations=$cache/durations
weight() {
  local w per=10
  w=$(awk -v f="${1##*/}" '$1 == f { print int($2) + 1; exit }' "$durations" "$here/durations.seed" 2>/dev/null || true)
  grep -q '^load gotest' "$1" && per=30
  echo "${w:-$((per * $(grep -c '^@test' "$1" || true) + 1))}"
}
load=() shard_files=()
for ((k = 0; k < nshards; k++)); do load[k]=0; shard_files[k]=; done
lightest() {
  local k best=0
  for ((k = 1; k < nshards; k++)); do [ "${load[k]}" -ge "${load[best]}" ] || best=$k; done
  echo "$best"
}
while read -r w i; do
  k=$(lightest)
  load[k]=$((load[k] + w))
  shard_files[k]+=" $i"
done < <(for i in "${!files[@]}"; do echo "$(weight "${files[i]}") $i"; done | sort -rn)
nested_shard=0
if [ ${#nested[@]} -gt 0 ]; then
  nested_shard=$(lightest)
  for f in "${nested[@]}"; do load[nested_shard]=$((load[nested_shard] + $(weight "$f"))); done
fi

# Each guest's bound: three times the measured seconds of its files plus
# five minutes for boot and the Go examples' links, unless V2VM_TIMEOUT
# says otherwise. A backstop for a hung guest (bats bounds each test): a
# shared 2-core host whose load average went from 5 to 30 made the same
# tests 2-3 times slower.
gtimeout=()
for ((k = 0; k < nshards; k++)); do gtimeout[k]=${timeout_s:-$((3 * load[k] + 300))}; done

for ((k = 0; k < nshards; k++)); do
  d=$results/$k
  mkdir -p "$d"
  # Keep the suite's order within a shard.
  read -r -a idx <<<"$(tr ' ' '\n' <<<"${shard_files[k]}" | sort -n | tr '\n' ' ')"
  {
    printf 'REPO=%q\nTESTJAIL=%q\nTJHELPER=%q\nTJ_EXAMPLES_DIR=%q\nGO_BIN_DIR=%q\n' \
      "$repo" "$testjail" "$tjhelper" "$examples_dir" "$go_bin_dir"
    printf 'BATS_FILES=('; for i in "${idx[@]}"; do printf ' %q' "${gfiles[i]}"; done; printf ' )\n'
    if [ $k = "$nested_shard" ] && [ ${#nested[@]} -gt 0 ]; then
      printf 'NESTED_FILES=('; printf ' %q' "${gnested[@]}"; printf ' )\nNESTED_SKIP=\n'
    else
      printf 'NESTED_FILES=( )\nNESTED_SKIP=%q\n' "${nested_skip:-runs in guest $nested_shard}"
    fi
    for v in V2VM_NESTED_CONTROLLERS V2VM_BATS_TEST_TIMEOUT V2VM_TJ_TIMEOUT; do  # guest-side knobs
      [ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
    done
  } >"$d/job.env"
  # Bats files copied from /tmp: each guest reads them from its own share.
  cp -r "$results/tests" "$d/"
done

# --- images ----------------------------------------------------------------
t0=$SECONDS
vars=$(bash "$here/build-image.sh") || die "building the guest images failed"
eval "$vars"

# The scratch disk: ext4, because the sandboxes idmap the paths they write
# and Linux 6.1 cannot idmap the guest's tmpfs, overlay or 9p. It holds the
# guest's /tmp and /var/tmp and a GOCACHE: the one warmed into the Go image
# and the host's (a hit in either is a hit; the host's wins a clash, as its
# layer did over the warm one before). One image for all guests, each
# writing to its own throwaway layer (snapshot=on). It lives next to the
# cache, whose file system more likely has the host's GOCACHE (hard links)
# and room for a few GB than a tmpfs /tmp.
mk_scratch() {
  local s=$scratch/stage c
  mkdir -p "$s/gocache" "$s/gomodcache" "$s/tmp" "$s/var-tmp"
  chmod 1777 "$s/tmp" "$s/var-tmp"
  for c in "$GOWARM" "$host_gocache"; do
    [ -n "$c" ] && [ -d "$c" ] || continue
    # A go running on the host meanwhile may add or trim entries: a copy
    # that misses some is still a cache.
    cp -alf "$c/." "$s/gocache/" 2>/dev/null || cp -af "$c/." "$s/gocache/" ||
      log "warning: copying the GOCACHE $c was incomplete"
  done
  # Open to every user, as a shared cache must be: the rootless tests' go
  # (another uid) adds entries next to root's. Directories only: the files
  # may be hard links into the host's cache.
  find "$s/gocache" -type d -exec chmod 1777 {} +
  truncate -s "${V2VM_SCRATCH_SIZE:-8G}" "$scratch/disk.ext4"
  # No journal: the disk is thrown away, and fewer writes cost less under TCG.
  mkfs.ext4 -q -F -O ^has_journal -d "$s" "$scratch/disk.ext4" >&2
  rm -rf "$s"
}
scratch=$(mktemp -d "$cache/scratch.XXXXXX")
mk_scratch || die "making the scratch disk failed"
t_images=$((SECONDS - t0))
log "images and scratch disk ready in ${t_images}s (kernel $KVER)"

# --- boot ------------------------------------------------------------------
prefix() { if [ "$nshards" -gt 1 ]; then sed -u "s/^/[$1] /"; else cat; fi; }
log "booting $nshards guest(s) (expected ${load[*]}s, timeout ${gtimeout[*]}s): ${#files[@]} bats file(s); nested pass: ${nested_skip:-${#nested[@]} file(s) in guest $nested_shard}"
t0=$SECONDS
qpids=()
for ((k = 0; k < nshards; k++)); do
  d=$results/$k
  # One vCPU: with two, every exec pays for cross-vCPU TLB flushes (MTTCG)
  # and the same suite costs ~30% more host CPU; nothing in it needs two.
  # qemu64, not max: with AVX2 and friends offered, glibc and Go take their
  # vector paths, which TCG emulates slowly (fork+exec and a Go link cost
  # ~25% more host CPU under max).
  qemu=(qemu-system-x86_64 -machine pc -accel "tcg,thread=${V2VM_TCG_THREAD:-multi}" -cpu "${V2VM_CPU:-qemu64}" -smp "${V2VM_SMP:-1}" -m 2G
    -kernel "$VMLINUX" -initrd "$INITRD"
    -append "console=ttyS0 rdinit=/init cgroup_no_v1=all panic=-1 quiet loglevel=3 ${V2VM_APPEND:-} v2vm_script=$here/guest-run.sh"
    -nodefaults -no-user-config -display none -serial stdio -no-reboot
    -fsdev local,id=root9p,path=/,security_model=none,readonly=on,multidevs=remap
    -device virtio-9p-pci,fsdev=root9p,mount_tag=hostroot
    -fsdev "local,id=out9p,path=$d,security_model=none"
    -device virtio-9p-pci,fsdev=out9p,mount_tag=results)
  # The scratch disk first (/dev/vda), then the Go image (/dev/vdb).
  qemu+=(-drive "file=$scratch/disk.ext4,if=virtio,format=raw,snapshot=on")
  [ -z "$GOIMG" ] || qemu+=(-drive "file=$GOIMG,if=virtio,format=raw,readonly=on")
  # The snapshot layer goes to TMPDIR (unlinked at once): next to the image,
  # not in /var/tmp.
  # stdin from /dev/null: the serial console must not grab the terminal.
  TMPDIR=$scratch timeout --kill-after=10 "${gtimeout[k]}" "${qemu[@]}" </dev/null > >(prefix "$k") &
  qpids[k]=$!
  bg_pids+=("${qpids[k]}")
  # The TAP files fill up on the share while the guest runs: show them live.
  touch "$d/root.tap" "$d/nested.tap"
  tail -q -n +1 --pid="${qpids[k]}" -F "$d/root.tap" "$d/nested.tap" 2>/dev/null | prefix "$k" &
  bg_pids+=($!)
done
qrc=()
for ((k = 0; k < nshards; k++)); do
  qrc[k]=0
  wait "${qpids[k]}" || qrc[k]=$?
done
wait || true   # the tails end with their guests
bg_pids=()
t_guests=$((SECONDS - t0))

# --- verdict ---------------------------------------------------------------
echo
log "==== results ===="
fail=0
modes=$(cat "$results"/*/cgroup-mode 2>/dev/null | sort -u)
if [ -n "$modes" ]; then
  while IFS= read -r m; do log "guest cgroup mode: $m"; done <<<"$modes"
else
  log "guest cgroup mode: unknown (not reported)"
fi

# One pass over all shards: counts, then each failure with its file.
summarize() {  # pass name, description
  local name=$1 what=$2 k st n_ok=0 n_nok=0 n_skip=0 secs=
  local taps=() statuses=() ks
  if [ "$name" = root ]; then ks=$(seq 0 $((nshards - 1)))
  elif [ ${#nested[@]} -gt 0 ]; then ks=$nested_shard
  else ks=; fi
  for k in $ks; do
    taps+=("$results/$k/$name.tap")
    st=$(cat "$results/$k/$name.status" 2>/dev/null || echo missing)
    statuses+=("$st")
    secs+="${secs:+, }$(cat "$results/$k/$name.seconds" 2>/dev/null || echo '?')s"
    if [ "$st" != 0 ]; then
      fail=1
      [ "$st" != missing ] || log "FAIL: pass $name in guest $k left no exit status"
    fi
  done
  if [ ${#taps[@]} -eq 0 ]; then
    log "pass $name ($what): skipped: $nested_skip"
    return 0
  fi
  n_ok=$(cat "${taps[@]}" | grep -c '^ok ' || true)
  n_skip=$(cat "${taps[@]}" | grep -c '^ok .* # skip' || true)
  n_nok=$(cat "${taps[@]}" | grep -c '^not ok ' || true)
  log "pass $name ($what): $((n_ok - n_skip)) passed, $n_nok failed, $n_skip skipped; bats exit ${statuses[*]}; ${secs}"
  # The file of a failure is on the comment lines after its "not ok"; the
  # first of those lines follow its name, so that the end of a CI log,
  # often all that is kept, says why.
  awk '
    function flush() {
      if (t != "") print "v2vm:   FAILED: " (f != "" ? f ": " : "") t
      for (i = 0; i < n && i < 20; i++) print "v2vm:     " why[i]
      t = ""; f = ""; n = 0
    }
    /^not ok / { flush(); t = $0; sub(/^not ok [0-9]+ /, "", t); sub(/ # in [0-9]+ ?ms$/, "", t); next }
    t != "" && f == "" && match($0, /in test file [^,)]+/) {
      f = substr($0, RSTART + 13, RLENGTH - 13); sub(/.*\//, "", f); next }
    t != "" && /^# / { why[n++] = substr($0, 3); next }
    /^(ok|not ok) / { flush() }
    END { flush() }' "${taps[@]}"
  cat "${taps[@]}" | grep '^ok .* # skip' | sed 's/^ok [0-9]* /v2vm:   skipped: /' || true
}

# Every test, one a line: its result, the cgroup mode it ran under and its
# file, both from the "# cgroup mode: MODE (FILE, ...)" line common.bash's
# setup_file prints (a file without it shows the guest's mode and "?").
list_tests() {  # pass name
  local k ks
  if [ "$1" = root ]; then ks=$(seq 0 $((nshards - 1))); else ks=${nested[0]:+$nested_shard}; fi
  for k in $ks; do
    awk -v mode="$(cut -d' ' -f1 "$results/$k/cgroup-mode" 2>/dev/null)" -v pass="$1" '
      /^1\.\.[0-9]+$/ { next }
      /^# cgroup mode: / { m = $4; f = $5; sub(/^\(/, "", f); sub(/,$/, "", f); next }
      /^(ok|not ok) / {
        r = ($1 == "ok") ? (/ # skip/ ? "skip" : "ok") : "FAIL"
        t = $0; sub(/^(ok|not ok) [0-9]+ /, "", t); sub(/ # in [0-9]+ ?ms$/, "", t)
        printf "v2vm: %-4s [%s, %s] %s: %s\n", r, (m != "" ? m : mode), pass, (f != "" ? f : "?"), t
      }' "$results/$k/$1.tap"
  done
}
for ((k = 0; k < nshards; k++)); do
  if [ "${qrc[k]}" = 124 ] || [ "${qrc[k]}" = 137 ]; then
    log "FAIL: guest $k did not finish within ${gtimeout[k]}s (expected ${load[k]}s; V2VM_TIMEOUT overrides)"
    fail=1
  elif [ "${qrc[k]}" != 0 ]; then
    log "FAIL: qemu of guest $k exited ${qrc[k]}"
    fail=1
  fi
  if [ ! -e "$results/$k/guest.status" ]; then
    log "FAIL: guest $k left no guest.status (its script never finished)"
    fail=1
  elif [ "$(cat "$results/$k/guest.status")" != 0 ]; then
    fail=1
  fi
done
log "---- every test: result [cgroup mode, pass] file: name ----"
list_tests root
list_tests nested
summarize root "root cgroup"
summarize nested "delegated subtree, private cgroupns"
[ ${#excluded[@]} -eq 0 ] || log "NOT RUN in the guests (V2VM_EXCLUDE): ${excluded[*]}"
for h in ${host_only[@]+"${host_only[@]}"}; do log "NOT RUN in the guests, host only: $h"; done

# Per-file seconds from bats' junit reports: the weights of the next run.
if compgen -G "$results/*/*-junit/report.xml" >/dev/null; then
  mkdir -p "$cache"
  {
    sed -n 's/.*<testsuite name="\([^"]*\)".* time="\([0-9.]*\)".*/\1 \2/p' "$results"/*/*-junit/report.xml |
      sed 's|^.*/||'
    cat "$durations" 2>/dev/null || true
  } | awk '!seen[$1]++' >"$durations.tmp" && mv "$durations.tmp" "$durations"
fi

up() { cat "$results/$1/$2.uptime" 2>/dev/null || echo '?'; }
per=
for ((k = 0; k < nshards; k++)); do per+="${per:+; }guest $k: boot $(up $k boot)s, done at $(up $k guest)s"; done
log "timings: images ${t_images}s, guests ${t_guests}s ($per), total $((SECONDS - t_start))s"
if [ $fail = 0 ]; then log "PASS"; else log "FAIL"; fi
exit $fail
