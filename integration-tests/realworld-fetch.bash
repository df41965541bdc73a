# Shared by integration-tests/realworld-modules.sh and bench/realworld.sh:
# the modules of realworld-modules.txt, fetched through the Go module proxy
# and copied where their tests can write. Source it from the repository's
# root; the caller sets `set -f` (the flags fields split on spaces).
rw_list="$PWD/integration-tests/realworld-modules.txt"
rw_modcache=$(go env GOMODCACHE) # $GOMODCACHE in the list's testjail options
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" # go.sum of an old module may lack a dependency's line

# rw_each FN [REGEXP]: FN MODVER PKGS FLAGS TJOPTS for each listed module
# (only those whose path@version matches REGEXP), stdin from /dev/null.
rw_each() {
  local fn=$1 only=${2:-} modver pkgs flags tjopts why
  while IFS=';' read -r modver pkgs flags tjopts why; do
    modver=$(echo $modver)
    case $modver in '' | '#'*) continue ;; esac
    [[ -n $only && ! $modver =~ $only ]] && continue
    "$fn" "$modver" "$(echo $pkgs)" "$(echo $flags)" "$(echo ${tjopts//\$GOMODCACHE/$rw_modcache})" </dev/null
  done <"$rw_list"
}

# rw_fetch MODVER WORK: downloads the module and copies it to WORK/src/MOD,
# writable, then sets rw_src to that directory. The import path as a
# directory keeps the file paths some suites check (pkg/errors' stack
# traces) as upstream. On failure sets rw_error and returns 1.
rw_fetch() {
  local modver=$1 work=$2 mod=${1%@*} info dir
  rw_src= rw_error=
  info=$(go mod download -json "$modver" 2>&1)
  dir=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("Dir", ""))' <<<"$info" 2>/dev/null)
  if [ -z "$dir" ]; then
    rw_error="go mod download: $info"
    return 1
  fi
  rw_src="$work/src/$mod"
  rm -rf "$rw_src"
  mkdir -p "$(dirname "$rw_src")"
  cp -r "$dir" "$rw_src" && chmod -R u+w "$rw_src" || { rw_error="copying $dir failed"; return 1; }
  [ -f "$rw_src/go.mod" ] || printf 'module %s\n' "$mod" >"$rw_src/go.mod" # pre-modules releases
}
