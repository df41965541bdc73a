#!/usr/bin/env python3
"""The shell lines of one job of a CI configuration, as a bash script.

usage: ci-scripts.py github|gitlab FILE JOB [INSTANCE]
       ci-scripts.py github|gitlab FILE --jobs
       ci-scripts.py github|gitlab FILE --plan JOB
       ci-scripts.py --standin ACTION ARGS...   (called by the scripts)

GitHub Actions: each `run` step of the job, in order, in a subshell of its
own under `bash -e -o pipefail` (the runner's shell), with the workflow's,
job's and step's `env`; after each step the lines the step appended to
$GITHUB_PATH are put in front of PATH, as the runner does. A step runs
while no earlier step failed, or always with `if: always()`; the script
exits with the first failed step's status. upload-artifact and
download-artifact are stood in for by copies between the workspace and
$TJ_CI_ARTIFACTS (the run's artifacts, one directory per name); other
`uses` steps are skipped (named in a comment). A matrix job is one script
per INSTANCE (`key=value,...`, as --plan lists them), `${{ matrix.key }}`
substituted; any other `${{ }}` is refused.

GitLab CI: the job's variables, then before_script and script in one
`bash -e -o pipefail` shell, nested lists (from YAML anchors) flattened, as
the runner does; first the artifacts of the jobs in `needs`, after it the
job's `artifacts` (paths, reports) as `artifacts:when` says, through
$TJ_CI_ARTIFACTS. `parallel: N` is N instances, 1 to N, with CI_NODE_INDEX
and CI_NODE_TOTAL.

--plan prints `needs JOB...`, `if always|success` (whether the job runs
after a needed job failed), `fail-fast true|false` and one `instance X` per
run of the job (`-` for a job of one run).

The keys the files use are checked against the keys GitHub and GitLab
define, and keys the stand-ins do not implement are refused: exit 2, as
for a job that does not exist or has no shell lines.
"""
import fnmatch
import glob
import itertools
import os
import re
import shlex
import shutil
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


def check_keys(what, d, known):
    if not isinstance(d, dict):
        fail("%s is not a mapping" % what)
    for k in d:
        if k not in known:
            fail("%s: unknown key %s" % (what, k))


def standin():
    return "ci-standin"


# GitHub Actions ------------------------------------------------------------

GH_WORKFLOW = {"name", "run-name", "on", True, "permissions", "env", "defaults", "concurrency", "jobs"}
GH_JOB = {"name", "permissions", "needs", "if", "runs-on", "environment", "concurrency", "outputs", "env",
          "defaults", "steps", "timeout-minutes", "strategy", "continue-on-error", "container", "services",
          "uses", "with", "secrets"}
GH_STRATEGY = {"matrix", "fail-fast", "max-parallel"}
GH_STEP = {"id", "if", "name", "uses", "run", "shell", "with", "env", "continue-on-error", "timeout-minutes",
           "working-directory"}
# action: (inputs it defines, inputs the stand-in implements)
GH_ARTIFACT = {
    "actions/upload-artifact": ({"name", "path", "if-no-files-found", "retention-days", "compression-level",
                                 "overwrite", "include-hidden-files"},
                                {"name", "path", "if-no-files-found", "retention-days", "compression-level"}),
    "actions/download-artifact": ({"name", "path", "pattern", "merge-multiple", "github-token", "repository",
                                   "run-id"},
                                  {"name", "path", "pattern", "merge-multiple"}),
}
GH_IF = {"always()": True, "${{ always() }}": True, "success()": False, "${{ success() }}": False}


def gh_if(what, cond):
    if cond is None:
        return False
    if cond not in GH_IF:
        fail("%s: if: %s is not stood in (always() or success())" % (what, cond))
    return GH_IF[cond]


def gh_job(doc, job):
    check_keys("the workflow", doc, GH_WORKFLOW)
    j = doc.get("jobs", {}).get(job)
    if not isinstance(j, dict):
        fail("no job %s" % job)
    check_keys("job %s" % job, j, GH_JOB)
    check_keys("job %s: strategy" % job, j.get("strategy", {}), GH_STRATEGY)
    for i, step in enumerate(j.get("steps", [])):
        check_keys("job %s: step %d" % (job, i), step, GH_STEP)
    return j


def gh_instances(job, j):
    matrix = j.get("strategy", {}).get("matrix")
    if matrix is None:
        return ["-"]
    if not isinstance(matrix, dict):
        fail("job %s: a matrix that is not a mapping is not stood in" % job)
    for k, v in matrix.items():
        if k in ("include", "exclude") or not isinstance(v, list):
            fail("job %s: matrix %s is not stood in (lists of values only)" % (job, k))
    keys = list(matrix)
    return [",".join("%s=%s" % kv for kv in zip(keys, combo))
            for combo in itertools.product(*(matrix[k] for k in keys))]


def substitute(x, values, where):
    if isinstance(x, dict):
        return {k: (v if k == "if" else substitute(v, values, "%s.%s" % (where, k))) for k, v in x.items()}
    if isinstance(x, list):
        return [substitute(v, values, where) for v in x]
    if not isinstance(x, str):
        return x

    def one(m):
        key = m.group(1)
        if key not in values:
            fail("%s: unexpanded %s" % (where, m.group(0)))
        return values[key]
    x = re.sub(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}", one, x)
    if "${{" in x:
        fail("%s: unexpanded %s" % (where, x[x.index("${{"):]))
    return x


def gh_plan(doc, job):
    j = gh_job(doc, job)
    needs = j.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    for n in needs:
        gh_job(doc, n)
    out = ["needs " + " ".join(needs), "if " + ("always" if gh_if("job %s" % job, j.get("if")) else "success"),
           "fail-fast " + str(j.get("strategy", {}).get("fail-fast", True)).lower()]
    return out + ["instance " + i for i in gh_instances(job, j)]


def gh_artifact_step(job, i, step):
    action = step["uses"].split("@")[0]
    known, done = GH_ARTIFACT[action]
    w = step.get("with") or {}
    for k in w:
        if k not in known:
            fail("job %s: step %d: %s has no input %s" % (job, i, action, k))
        if k not in done:
            fail("job %s: step %d: %s's %s is not stood in" % (job, i, action, k))
    if action == "actions/upload-artifact":
        if "path" not in w:
            fail("job %s: step %d: upload-artifact without path" % (job, i))
        paths = [p.strip() for p in str(w["path"]).splitlines() if p.strip()]
        args = ["upload-artifact", str(w.get("name", "artifact")), str(w.get("if-no-files-found", "warn"))] + paths
    else:
        args = ["download-artifact", str(w.get("name", "")), str(w.get("pattern", "")),
                str(w.get("merge-multiple", False)).lower(), str(w.get("path", "."))]
    return " ".join(shlex.quote(a) for a in [standin()] + args)


def github(doc, job, instance):
    j = gh_job(doc, job)
    instances = gh_instances(job, j)
    if instance is None:
        instance = "-"
    if instance not in instances:
        fail("job %s has no instance %s (it has: %s)" % (job, instance, " ".join(instances)))
    values = dict(kv.split("=", 1) for kv in instance.split(",")) if instance != "-" else {}
    j = substitute(j, values, "job %s" % job)
    out = ["set -e"] + exports(substitute(doc.get("env"), {}, "env")) + exports(j.get("env"))
    out += [': "${GITHUB_PATH:?}"', "rc=0"]
    runs = 0
    for i, step in enumerate(j.get("steps", [])):
        always = gh_if("job %s: step %d" % (job, i), step.get("if"))
        if "uses" in step:
            if step["uses"].split("@")[0] not in GH_ARTIFACT:
                out.append("# step %d: uses %s (not run here)" % (i, step["uses"]))
                continue
            out.append("# step %d: uses %s (stood in)" % (i, step["uses"]))
            body = gh_artifact_step(job, i, step)
        elif "run" in step:
            runs += 1
            out.append("# step %d: %s" % (i, step.get("name", "")))
            body = "bash --noprofile --norc -e -o pipefail -c %s" % shlex.quote(
                "\n".join(exports(step.get("env")) + [step["run"]]))
        else:
            continue
        out.append("if %s; then" % ("true" if always else '[ "$rc" -eq 0 ]'))
        out.append("before=$(wc -l <\"$GITHUB_PATH\")")
        out.append('%s || { s=$?; [ "$rc" -ne 0 ] || rc=$s; }' % body)
        out.append('while read -r p; do PATH="$p:$PATH"; done < <(tail -n +"$((before + 1))" "$GITHUB_PATH")')
        out.append("export PATH")
        out.append("fi")
    if not runs:
        fail("job %s has no run steps" % job)
    return out + ['exit "$rc"']


# GitLab CI -----------------------------------------------------------------

GL_GLOBAL = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
             "before_script", "after_script"}
GL_JOB = {"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage", "dependencies",
          "environment", "extends", "hooks", "id_tokens", "identity", "image", "inherit", "interruptible",
          "needs", "pages", "parallel", "release", "resource_group", "retry", "rules", "script", "secrets",
          "services", "stage", "tags", "timeout", "trigger", "variables", "when"}
GL_ARTIFACTS = {"paths", "exclude", "expire_in", "expose_as", "name", "public", "access", "reports",
                "untracked", "when"}
GL_REPORTS = {"junit", "coverage_report", "codequality", "dotenv", "sast", "dependency_scanning",
              "container_scanning", "dast", "license_scanning", "metrics", "terraform", "requirements",
              "cyclonedx", "annotations", "accessibility", "browser_performance", "load_performance",
              "secret_detection", "api_fuzzing", "coverage_fuzzing"}
# job keys the stand-in would get wrong: refused rather than ignored
GL_NOT_STOOD_IN = {"after_script", "dependencies", "extends", "rules", "trigger", "inherit", "allow_failure"}


def gl_jobs(doc):
    if not isinstance(doc, dict):
        fail("the configuration is not a mapping")
    jobs = {}
    for k, v in doc.items():
        if k in GL_GLOBAL or k.startswith("."):
            continue
        if not isinstance(v, dict):
            fail("unknown global key %s" % k)
        jobs[k] = v
    stages = doc.get("stages", ["build", "test", "deploy"])
    stages = [".pre"] + list(stages) + [".post"]
    for name, j in jobs.items():
        check_keys("job %s" % name, j, GL_JOB)
        if j.get("stage", "test") not in stages:
            fail("job %s: stage %s is not in stages" % (name, j.get("stage")))
        a = j.get("artifacts")
        if a is not None:
            check_keys("job %s: artifacts" % name, a, GL_ARTIFACTS)
            check_keys("job %s: artifacts:reports" % name, a.get("reports", {}), GL_REPORTS)
            if a.get("when", "on_success") not in ("on_success", "on_failure", "always"):
                fail("job %s: artifacts:when %s" % (name, a.get("when")))
        for n in gl_needs(name, j):
            if n not in jobs:
                fail("job %s: needs %s, no such job" % (name, n))
            if stages.index(jobs[n].get("stage", "test")) > stages.index(j.get("stage", "test")):
                fail("job %s: needs %s of a later stage" % (name, n))
    return jobs


def gl_needs(name, j):
    out = []
    for n in j.get("needs", []):
        if isinstance(n, dict):
            check_keys("job %s: needs" % name, n, {"job", "artifacts", "optional"})
            if n.get("artifacts", True):
                out.append(n["job"])
        else:
            out.append(n)
    return out


def gl_job(doc, job):
    jobs = gl_jobs(doc)
    j = jobs.get(job)
    if j is None:
        fail("no job %s" % job)
    for k in j:
        if k in GL_NOT_STOOD_IN:
            fail("job %s: %s is not stood in" % (job, k))
    if j.get("when", "on_success") not in ("on_success", "always"):
        fail("job %s: when: %s is not stood in" % (job, j.get("when")))
    p = j.get("parallel")
    if p is not None and (not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= 200):
        fail("job %s: parallel: %r is not stood in (a number, 1 to 200)" % (job, p))
    return j


def gl_plan(doc, job):
    j = gl_job(doc, job)
    n = j.get("parallel")
    out = ["needs " + " ".join(gl_needs(job, j)),
           "if " + ("always" if j.get("when") == "always" else "success"), "fail-fast false"]
    return out + ["instance " + i for i in ([str(k) for k in range(1, n + 1)] if n else ["-"])]


def gitlab(doc, job, instance):
    j = gl_job(doc, job)
    n = j.get("parallel")
    instances = [str(k) for k in range(1, n + 1)] if n else ["-"]
    if instance is None:
        instance = "-"
    if instance not in instances:
        fail("job %s has no instance %s (it has: %s)" % (job, instance, " ".join(instances)))
    lines = list(flatten(j.get("before_script"))) + list(flatten(j.get("script")))
    if not lines:
        fail("job %s has no script lines" % job)
    out = ["set -e -o pipefail"] + exports(doc.get("variables")) + exports(j.get("variables"))
    if n:
        out += exports({"CI_NODE_INDEX": instance, "CI_NODE_TOTAL": n})
    for need in gl_needs(job, j):
        out.append(" ".join(shlex.quote(a) for a in [standin(), "gitlab-download", need]))
    out.append("rc=0")
    out.append("bash --noprofile --norc -e -o pipefail -c %s || rc=$?" % shlex.quote("\n".join(lines)))
    a = j.get("artifacts")
    if a:
        when = a.get("when", "on_success")
        cond = {"always": "true", "on_success": '[ "$rc" -eq 0 ]', "on_failure": '[ "$rc" -ne 0 ]'}[when]
        key = job if instance == "-" else "%s/%s" % (job, instance)
        paths = [str(p) for p in a.get("paths", [])]
        reports = ["%s=%s" % (k, v) for k, v in (a.get("reports") or {}).items()]
        out.append("if %s; then %s; fi" % (cond, " ".join(shlex.quote(x) for x in
                   [standin(), "gitlab-upload", key] + paths + ["--reports"] + reports)))
    return out + ['exit "$rc"']


# The stand-ins, run by the scripts in the job's workspace ------------------

def artifacts_dir():
    d = os.environ.get("TJ_CI_ARTIFACTS")
    if not d:
        fail("TJ_CI_ARTIFACTS is not set")
    return d


def search_root(pattern):
    parts = pattern.split("/")
    for k, part in enumerate(parts):
        if glob.has_magic(part):
            return "/".join(parts[:k]) or "."
    return os.path.dirname(pattern) or "."


def copy_into(src, dest, seen):
    if os.path.exists(dest) or dest in seen:
        fail("%s would be written twice (the real CI would keep only one)" % dest)
    seen.add(dest)
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    shutil.copy2(src, dest)


def tree_files(top):
    for d, _, files in os.walk(top):
        for f in files:
            yield os.path.relpath(os.path.join(d, f), top)


def matches(pattern):
    out = []
    for m in sorted(glob.glob(pattern, recursive=True)):
        out += [m] if os.path.isfile(m) else [os.path.join(m, f) for f in tree_files(m)]
    return out


def upload_artifact(name, if_none, *paths):
    # upload-artifact v4: names are unique in a run; the files are kept
    # relative to the least common ancestor of the paths' search roots.
    dest = os.path.join(artifacts_dir(), "github", name)
    if os.path.exists(dest):
        fail("upload-artifact stand-in: an artifact %s was already uploaded in this run" % name)
    if any(p.startswith("!") for p in paths):
        fail("upload-artifact stand-in: exclusions are not stood in")
    files = [f for p in paths for f in matches(p)]
    if not files:
        msg = "upload-artifact stand-in: no files found for %s" % " ".join(paths)
        if if_none == "error":
            fail(msg)
        if if_none == "warn":
            print(msg, file=sys.stderr)
        return
    root = os.path.commonpath([os.path.abspath(search_root(p)) for p in paths])
    os.makedirs(dest)
    seen = set()
    for f in files:
        copy_into(f, os.path.join(dest, os.path.relpath(os.path.abspath(f), root)), seen)


def download_artifact(name, pattern, merge, path):
    top = os.path.join(artifacts_dir(), "github")
    have = sorted(os.listdir(top)) if os.path.isdir(top) else []
    if name:
        if name not in have:
            fail("download-artifact stand-in: no artifact %s (have: %s)" % (name, " ".join(have)))
        picked, merge = [name], "true"
    else:
        picked = [a for a in have if fnmatch.fnmatchcase(a, pattern or "*")]
    seen = set()
    for a in picked:
        into = path if merge == "true" else os.path.join(path, a)
        for f in tree_files(os.path.join(top, a)):
            copy_into(os.path.join(top, a, f), os.path.join(into, f), seen)


def gitlab_upload(key, *args):
    k = args.index("--reports")
    paths, reports = args[:k], args[k + 1:]
    dest = os.path.join(artifacts_dir(), "gitlab", key)
    os.makedirs(dest)
    seen = set()
    for p in paths:
        for f in matches(p):
            copy_into(f, os.path.join(dest, f), seen)
    for r in reports:
        kind, f = r.split("=", 1)
        if not os.path.isfile(f):
            print("gitlab-upload stand-in: no %s report %s" % (kind, f), file=sys.stderr)
            continue
        copy_into(f, os.path.join(artifacts_dir(), "gitlab-reports", key, kind, f), seen)


def gitlab_download(need):
    # every instance of a parallel job; one workspace, so a file two of
    # them hold would be one's only
    top = os.path.join(artifacts_dir(), "gitlab", need)
    if not os.path.isdir(top):
        return
    runs = [top] if not os.path.isdir(os.path.join(top, "1")) else [
        os.path.join(top, d) for d in sorted(os.listdir(top), key=int)]
    seen = set()
    for r in runs:
        for f in tree_files(r):
            copy_into(os.path.join(r, f), f, seen)


STANDINS = {"upload-artifact": upload_artifact, "download-artifact": download_artifact,
            "gitlab-upload": gitlab_upload, "gitlab-download": gitlab_download}


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--standin" and sys.argv[2] in STANDINS:
        STANDINS[sys.argv[2]](*sys.argv[3:])
        return
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("github", "gitlab"):
        fail("usage: ci-scripts.py github|gitlab FILE JOB [INSTANCE]|--jobs|--plan JOB")
    kind, path, job = sys.argv[1:4]
    with open(path) as f:
        doc = yaml.safe_load(f)
    if job == "--jobs":
        if kind == "github":
            names = list(doc.get("jobs", {}))
            for n in names:
                gh_job(doc, n)
        else:
            names = [k for k, v in gl_jobs(doc).items() if "script" in v]
        print("\n".join(names))
        return
    if job == "--plan":
        if len(sys.argv) != 5:
            fail("usage: ci-scripts.py github|gitlab FILE --plan JOB")
        print("\n".join((gh_plan if kind == "github" else gl_plan)(doc, sys.argv[4])))
        return
    instance = sys.argv[4] if len(sys.argv) == 5 else None
    print("\n".join((github if kind == "github" else gitlab)(doc, job, instance)))


main()
