#!/usr/bin/env bats
# The user namespace and the rest of the isolation as options and the
# report see them: the id map and where it comes from, --userns host, the
# fallback, covered directories, the PATH search as the workload sees it,
# --preserve-fds, a normal user's map, and bad input. The escapes
# themselves are tried in escape.bats.

load common

DEFAULT_MAP="0 1879048192 65536"

iso() { "$PYTHON3" -c 'import json,sys; r=json.load(open(sys.argv[1])); v=r["isolation"]
for k in sys.argv[2:]: v = v[k] if not isinstance(v, list) else v[int(k)]
print(json.dumps(v) if not isinstance(v, str) else v)' "$@"; }

map_of() { awk '{print $1, $2, $3}' "$1"; }

@test "default: root inside maps to the default unprivileged range; the report names the map and the idmapped working directory" {
  run -0 --separate-stderr tj exec --report r.json -- cat /proc/self/uid_map /proc/self/gid_map
  [ "$(echo "$output" | awk 'NR==1{print $1, $2, $3}')" = "$DEFAULT_MAP" ]
  [ "$(echo "$output" | awk 'NR==2{print $1, $2, $3}')" = "$DEFAULT_MAP" ]
  [ "$(iso r.json userns)" = true ]
  [ "$(iso r.json uid_map)" = "$DEFAULT_MAP" ]
  [ "$(iso r.json map_source)" = default ]
  [ "$(iso r.json fallback)" = null ]
  iso r.json idmapped | grep -qF "\"$TJ_WORK\""
  iso r.json masked_paths | grep -q '/proc/kcore'
  [ "$(iso r.json fds_closed)" = true ]
}

@test "the workload's capabilities are the namespace's: root inside without caps, the caller's groups gone" {
  run -0 --separate-stderr tj exec -- sh -c 'id -u; id -G; grep -E "^Cap(Eff|Bnd)" /proc/self/status'
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [[ "$output" == *"CapEff:	0000000000000000"* ]]
}

@test "--userns host: no user namespace, the identity map, no fallback said" {
  run -0 --separate-stderr tj exec --userns host --report r.json -- cat /proc/self/uid_map
  [ "$(echo "$output" | awk '{print $1, $2, $3}')" = "0 0 4294967295" ]
  [ "$(iso r.json userns)" = false ]
  [ "$(iso r.json fallback)" = null ]
  [[ "$stderr" != *warning* ]]
}

@test "--userns-range START:COUNT maps there" {
  run -0 --separate-stderr tj exec --userns-range 300000:2000 --report r.json -- cat /proc/self/uid_map
  [ "$(echo "$output" | awk '{print $1, $2, $3}')" = "0 300000 2000" ]
  [ "$(iso r.json map_source)" = --userns-range ]
}

@test "/etc/subuid and /etc/subgid's testjail entries are the range when there" {
  printf 'someone:100000:65536\ntestjail:400000:65536\n' >subuid
  printf 'testjail:500000:65536\n' >subgid
  # A private mount namespace shows these files at /etc only to this run.
  run -0 --separate-stderr timeout 60 unshare -m sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$2" /etc/subgid &&
    exec "$3" exec --report r.json -- cat /proc/self/uid_map /proc/self/gid_map' sh \
    "$PWD/subuid" "$PWD/subgid" "$TESTJAIL"
  [ "$(echo "$output" | awk 'NR==1{print $1, $2, $3}')" = "0 400000 65536" ]
  [ "$(echo "$output" | awk 'NR==2{print $1, $2, $3}')" = "0 500000 65536" ]
  [[ "$(iso r.json map_source)" == */etc/subuid* ]]
}

@test "a writable path whose file system cannot be idmapped: the run goes on as --userns host, and says so" {
  local d
  d="$(mktemp -d /var/tmp/tjramfs.XXXXXX)"
  mount -t ramfs ramfs "$d" || { rmdir "$d"; skip_because "cannot mount a ramfs here"; }
  run --separate-stderr tj exec --bind "$d" --report r.json -- sh -c 'cat /proc/self/uid_map; echo x >"$1/f"' sh "$d"
  local st=$status
  umount "$d"
  rmdir "$d"
  [ "$st" -eq 0 ]
  [ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 0 4294967295" ]
  [[ "$stderr" == *"warning: no user namespace: idmapping $d"*"--userns host"* ]]
  [ "$(iso r.json userns)" = false ]
  [[ "$(iso r.json fallback)" == *"cannot be idmapped"* ]]
}

@test "testjail test: a --bind that cannot be idmapped: the package still runs, with one warning naming it" {
  require_cmd go
  local d
  d="$(mktemp -d /var/tmp/tjramfs.XXXXXX)"
  mount -t ramfs ramfs "$d" || { rmdir "$d"; skip_because "cannot mount a ramfs here"; }
  mkdir -p mod/p
  printf 'module example.com/isomod\n\ngo 1.19\n' >mod/go.mod
  printf 'package p\n\nimport "testing"\n\nfunc TestOK(t *testing.T) {}\n' >mod/p/p_test.go
  cd mod
  TJ_TIMEOUT=300 run --separate-stderr tj test --bind "$d" --report ../r.json ./p
  local st=$status
  cd ..
  umount "$d"
  rmdir "$d"
  [ "$st" -eq 0 ]
  [ "$(grep -c "^testjail: example.com/isomod/p: warning: no user namespace: idmapping $d" <<<"$stderr")" = 1 ]
  [[ "$stderr" == *"; running as --userns host"* ]]
  [ "$(json_get r.json packages.0.isolation.userns)" = false ]
}

@test "a mount below the working directory that cannot be idmapped: the rest is, the run keeps its user namespace" {
  mkdir sub
  mount -t ramfs ramfs sub || skip_because "cannot mount a ramfs here"
  echo x >sub/f
  run --separate-stderr tj exec --report r.json -- sh -c 'cat /proc/self/uid_map; echo y >made; stat -c %u sub/f'
  local st=$status
  umount sub
  [ "$st" -eq 0 ]
  [ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "$DEFAULT_MAP" ]
  [ "$(stat -c %u made)" = 0 ]
  [ "${lines[1]}" = 65534 ]
  [[ "$stderr" != *warning* ]]
}

@test "a working directory below a directory others may not search: it is covered, the rest of it hidden, the files written owned by root" {
  mkdir -m 700 private
  mkdir private/pkg private/secret
  echo hidden >private/secret/file
  cd private/pkg
  run -0 --separate-stderr tj exec --report "$TJ_WORK/r.json" -- sh -c 'ls -A ..; echo made >out; cat ../secret/file 2>&1 || true'
  [ "${lines[0]}" = pkg ]
  [[ "$output" != *hidden* ]]
  [ "$(stat -c %u:%g out)" = 0:0 ]
  iso "$TJ_WORK/r.json" covered | grep -qF "\"$TJ_WORK/private\""
}

@test "a command is looked up in PATH as the workload sees it: a directory it cannot reach is passed by" {
  mkdir -m 700 hidden
  mkdir hidden/bin
  printf '#!/bin/sh\necho from-the-hidden-dir\n' >hidden/bin/id
  chmod 755 hidden/bin/id
  run -0 --separate-stderr tj exec --env PATH="$TJ_WORK/hidden/bin:/usr/bin:/bin" -- id -u
  [ "$output" = 0 ]
  # without a user namespace the sandbox's root reaches it, as before
  PATH="$TJ_WORK/hidden/bin:$PATH" run -0 --separate-stderr tj exec --userns host -- id -u
  [ "$output" = from-the-hidden-dir ]
}

@test "--preserve-fds: the caller's fds 3..N+2 stay, the ones past them are closed" {
  echo three >f3
  echo four >f4
  run -0 --separate-stderr tj exec --preserve-fds 1 -- sh -c 'cat <&3; cat <&4 2>/dev/null || echo "fd 4 closed"' 3<f3 4<f4
  [ "${lines[0]}" = three ]
  [ "${lines[1]}" = "fd 4 closed" ]
}

@test "init closes inherited descriptors too, and keeps --preserve-fds" {
  echo three >f3
  run -0 --separate-stderr tj init -- sh -c 'cat <&3 2>/dev/null || echo "fd 3 closed"' 3<f3
  [ "$output" = "fd 3 closed" ]
  run -0 --separate-stderr tj init --preserve-fds 1 -- sh -c 'cat <&3' 3<f3
  [ "$output" = three ]
}

@test "bad input: --userns, --userns-range, --preserve-fds: one line, 125, nothing left" {
  run -125 --separate-stderr tj exec --userns keep-id -- true
  [[ "$stderr" == *"--userns 'keep-id'"* ]]
  run -125 --separate-stderr tj exec --userns-range 0:65536 -- true
  [[ "$stderr" == *"--userns-range '0:65536'"* ]]
  run -125 --separate-stderr tj exec --userns-range 4294967000:65536 -- true
  [[ "$stderr" == *"--userns-range"* ]]
  run -125 --separate-stderr tj exec --preserve-fds x -- true
  [[ "$stderr" == *"--preserve-fds 'x'"* ]]
  run -125 --separate-stderr tj exec --preserve-fds 3 -- true 3</dev/null 4</dev/null 5>&-
  [[ "$stderr" == *"--preserve-fds 3: descriptor 5 is not open"* ]]
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  assert_nothing_left
}

# ---- a normal user -----------------------------------------------------------

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

@test "a normal user: its own ids map to root inside; what it writes is its own outside" {
  chown 65534:65534 "$TJ_WORK"
  run -0 --separate-stderr as_nobody "$TESTJAIL" exec --report r.json -- sh -c 'cat /proc/self/uid_map; id -u; echo x >made'
  [ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 65534 1" ]
  [ "${lines[1]}" = 0 ]
  [ "$(stat -c %u made)" = 65534 ]
  [ "$(iso r.json rootless)" = true ]
  # no delegated subtree for nobody: no cgroup, and the report says its counters are unknown
  "$PYTHON3" -c 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["cgroup"] is None and r["usage"]["memory_peak_bytes"] is None, r
assert any(e.startswith("no cgroup") for e in r["evidence"]), r["evidence"]' r.json
}

@test "a normal user with subordinate ids and newuidmap: ids 1.. inside map to its range, so a test may switch ids" {
  require_cmd newuidmap
  require_cmd newgidmap
  chown 65534:65534 "$TJ_WORK"
  printf 'nobody:300000:65536\n' >subuid
  printf 'nobody:310000:65536\n' >subgid
  # A private mount namespace shows these files at /etc only to this run
  # (newuidmap reads them too).
  run -0 --separate-stderr timeout 60 unshare -m sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$2" /etc/subgid &&
    exec setpriv --reuid=65534 --regid=65534 --clear-groups "$3" exec --cap-add SETUID --cap-add SETGID --report r.json -- \
      sh -c "cat /proc/self/uid_map /proc/self/gid_map; setpriv --reuid=1000 --regid=1000 --clear-groups id -u"' sh \
    "$PWD/subuid" "$PWD/subgid" "$TESTJAIL"
  [ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 65534 1" ]
  [ "$(echo "${lines[1]}" | awk '{print $1, $2, $3}')" = "1 300000 65536" ]
  [ "$(echo "${lines[2]}" | awk '{print $1, $2, $3}')" = "0 65534 1" ]
  [ "$(echo "${lines[3]}" | awk '{print $1, $2, $3}')" = "1 310000 65536" ]
  [ "${lines[4]}" = 1000 ]
  [[ "$(iso r.json map_source)" == *"/etc/subuid and /etc/subgid ranges"* ]]
}

@test "a normal user: --userns host and --userns-range need root" {
  chown 65534:65534 "$TJ_WORK"
  run -125 --separate-stderr as_nobody "$TESTJAIL" exec --userns host -- true
  [[ "$stderr" == *"--userns host needs root"* ]]
  run -125 --separate-stderr as_nobody "$TESTJAIL" exec --userns-range 100000:10 -- true
  [[ "$stderr" == *"--userns-range needs root"* ]]
}
