#!/usr/bin/env bats
# The layers of the code (README "Architecture") include one another one way
# only, from the top down: a file may include headers of its own layer and of
# layers below it, never above. Read from the sources, so a new include that
# runs upward fails here; so does a function longer than a newcomer reads in
# one sitting.
# v2vm: host only: reads the sources, runs nothing

setup() {
  cd "$BATS_TEST_DIRNAME/.."
}

# layer of a source path; its rank, 0 at the top
layer_of() {
  case $1 in
    runner/main.c) echo main ;;
    runner/init.[ch]) echo init ;;
    runner/verdict.[ch]) echo verdict ;;
    runner/*/*) local d=${1#runner/}; echo "${d%%/*}" ;;
    cgroup/*) echo cgroup ;;
    *) echo "?" ;;
  esac
}
ORDER=(main cmd init go report sandbox verdict seccomp cgroup common)
rank_of() {
  local i
  for i in "${!ORDER[@]}"; do [ "${ORDER[$i]}" = "$1" ] && { echo "$i"; return; }; done
  echo "unknown layer '$1'" >&2
  return 1
}

# every quoted include of the tree's own headers, as "file header-path",
# resolved as the compiler does: the file's folder, then -Irunner, then -I.
includes() {
  local f h p
  for f in $(git ls-files 'runner/*.[ch]' 'cgroup/*.[ch]'); do
    while read -r h; do
      for p in "$(dirname "$f")/$h" "runner/$h" "$h"; do
        [ -e "$p" ] && break
      done
      echo "$f $p"
    done < <(sed -n 's/^#include "\([^"]*\)"/\1/p' "$f")
  done
}

@test "every source file belongs to a known layer" {
  local f bad=0
  for f in $(git ls-files 'runner/*.[ch]' 'cgroup/*.[ch]'); do
    rank_of "$(layer_of "$f")" >/dev/null || { echo "no layer: $f"; bad=1; }
  done
  [ "$bad" = 0 ]
}

# reads "file header-path" lines; prints each upward include, fails on any
check_includes() {
  local f h lf lt bad=0 n=0
  while read -r f h; do
    [ -e "$h" ] || { echo "$f includes $h: no such file"; bad=1; continue; }
    lf=$(layer_of "$f") lt=$(layer_of "$h")
    n=$((n + 1))
    if [ "$(rank_of "$lt")" -lt "$(rank_of "$lf")" ]; then
      echo "$f ($lf) includes $h ($lt), a layer above it"
      bad=1
    fi
  done
  echo "$n includes checked"
  [ "$bad" = 0 ]
}

@test "includes run from the top layer down, never up" {
  local out
  out=$(includes | check_includes) || { echo "$out"; false; }
  echo "$out"
  [ "$(echo "$out" | tail -1 | cut -d' ' -f1)" -gt 100 ]
}

@test "the layer check catches an upward include" {
  run check_includes <<<"runner/sandbox/sandbox.c runner/cmd/cli.h"
  [ "$status" -ne 0 ]
  [[ "$output" == *"runner/sandbox/sandbox.c (sandbox) includes runner/cmd/cli.h (cmd), a layer above it"* ]]
  run check_includes <<<"cgroup/v2.c runner/common/util.h"
  [ "$status" -eq 0 ]
}

# functions of FILES... as "LINES FILE:LINE NAME" lines, longest first: a
# definition opens with a column-0 line ending in ") {" and closes at the
# next column-0 "}" (the .clang-format style)
function_lengths() {
  awk '/^[A-Za-z].*\) *\{$/ && !/=/ { s = FNR; n = $0; next }
       /^\}/ && s { m = n; sub(/\(.*/, "", m); k = split(m, w, /[ *]+/);
                    print FNR - s, FILENAME ":" s, w[k]; s = 0 }' "$@" | sort -rn
}

# A function a newcomer reads in one sitting: none over 120 lines but the
# priority ladder of verdict.c, which reads top to bottom as a table.
MAX_FUNCTION_LINES=120
long_functions() {
  awk -v max="$MAX_FUNCTION_LINES" '$1 > max && $3 != "decide"'
}

@test "no function is over $MAX_FUNCTION_LINES lines, save verdict.c's decide ladder" {
  local all long
  all=$(function_lengths $(git ls-files 'runner/*.c' 'cgroup/*.c'))
  echo "longest: $(echo "$all" | head -3 | tr '\n' ';')"
  [ "$(echo "$all" | wc -l)" -gt 300 ]
  long=$(echo "$all" | long_functions)
  [ -z "$long" ] || { echo "over $MAX_FUNCTION_LINES lines: $long"; false; }
}

@test "the length check catches a long function" {
  local f="$BATS_TEST_TMPDIR/long.c"
  { echo "static int long_one(void) {"; for i in $(seq 130); do echo "  x++;"; done; echo "}"
    echo "int short_one(int a) {"; echo "  return a;"; echo "}"; } >"$f"
  run bash -c "$(declare -f function_lengths long_functions); MAX_FUNCTION_LINES=$MAX_FUNCTION_LINES; function_lengths '$f' | long_functions"
  [ "$status" -eq 0 ]
  [[ "$output" == "131 $f:1 long_one" ]]
}
