# Helpers of the seccomp suites (load after common and gotest).

# denial REPORT RUN_PATH SYSCALL FIELD: the field of the first denial of
# SYSCALL in the run at RUN_PATH ("" for the top level, "packages.0" for
# the first package); fails when there is none.
denial() {
  "$PYTHON3" - "$@" <<'PY'
import json, sys
rep, path, name, field = sys.argv[1:5]
v = json.load(open(rep))
for k in filter(None, path.split(".")):
    v = v[int(k)] if isinstance(v, list) else v[k]
for d in v["seccomp"]["denials"] + v["seccomp"]["enosys"]:
    if d["syscall"] == name:
        x = d[field]
        print(x if isinstance(x, str) else json.dumps(x))
        sys.exit(0)
sys.exit("no denial of %s in %s: %s" % (name, rep, json.dumps(v["seccomp"])))
PY
}

# write_profile FILE JSON: a seccomp profile for one test.
write_profile() {
  printf '%s\n' "$2" >"$1"
}
