#!/usr/bin/env python3
"""The shell lines of one job of a CI configuration, as a bash script.

usage: ci-scripts.py github|gitlab FILE JOB
       ci-scripts.py github|gitlab FILE --jobs

GitHub Actions: each `run` step of the job, in order, in a subshell of its
own under `bash -e -o pipefail` (the runner's shell), with the workflow's,
job's and step's `env`; after each step the lines the step appended to
$GITHUB_PATH are put in front of PATH, as the runner does. `uses` steps are
skipped (named in a comment). GitLab CI: the job's variables, then
before_script and script in one `bash -e -o pipefail` shell, nested lists
(from YAML anchors) flattened, as the runner does. Exit 2 for a job that
does not exist or has no shell lines.
"""
import shlex
import sys

import yaml


def fail(msg):
    print("ci-scripts: " + msg, file=sys.stderr)
    sys.exit(2)


def exports(env):
    return ["export %s=%s" % (k, shlex.quote(str(v))) for k, v in (env or {}).items()]


def flatten(lines):
    for line in lines or []:
        if isinstance(line, list):
            yield from flatten(line)
        else:
            yield str(line)


def github(doc, job):
    j = doc.get("jobs", {}).get(job)
    if not isinstance(j, dict):
        fail("no job %s" % job)
    out = ["set -e"] + exports(doc.get("env")) + exports(j.get("env"))
    out.append(': "${GITHUB_PATH:?}"')
    runs = 0
    for i, step in enumerate(j.get("steps", [])):
        if "uses" in step:
            out.append("# step %d: uses %s (not run here)" % (i, step["uses"]))
            continue
        if "run" not in step:
            continue
        runs += 1
        out.append("# step %d: %s" % (i, step.get("name", "")))
        out.append("before=$(wc -l <\"$GITHUB_PATH\")")
        body = "\n".join(exports(step.get("env")) + [step["run"]])
        out.append("bash --noprofile --norc -e -o pipefail -c %s" % shlex.quote(body))
        out.append('while read -r p; do PATH="$p:$PATH"; done < <(tail -n +"$((before + 1))" "$GITHUB_PATH")')
        out.append("export PATH")
    if not runs:
        fail("job %s has no run steps" % job)
    return out


def gitlab(doc, job):
    j = doc.get(job)
    if not isinstance(j, dict) or job.startswith("."):
        fail("no job %s" % job)
    lines = list(flatten(j.get("before_script"))) + list(flatten(j.get("script")))
    if not lines:
        fail("job %s has no script lines" % job)
    return ["set -e -o pipefail"] + exports(doc.get("variables")) + exports(j.get("variables")) + lines


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("github", "gitlab"):
        fail("usage: ci-scripts.py github|gitlab FILE JOB|--jobs")
    kind, path, job = sys.argv[1:]
    with open(path) as f:
        doc = yaml.safe_load(f)
    if job == "--jobs":
        names = doc.get("jobs", {}) if kind == "github" else [
            k for k, v in doc.items() if isinstance(v, dict) and not k.startswith(".") and "script" in v]
        print("\n".join(names))
        return
    print("\n".join((github if kind == "github" else gitlab)(doc, job)))


main()
