#!/usr/bin/env python3
"""Build the stages of a Dockerfile without a container engine, from exactly
the files each stage COPYs, to check that the image builds.

usage: dockerfile-stages.py DOCKERFILE CONTEXT OUT [--target STAGE]

Each stage gets a root directory of its own, OUT/<stage>/root, empty at the
start (FROM's image is not fetched: its programs are this host's, mounted
read-only). COPY copies from CONTEXT (or from an earlier stage's root with
--from) into that root, as docker does; RUN runs in a bubblewrap sandbox
whose / is that root, with the host's /usr and /etc read-only beside it, in
the stage's WORKDIR. An `apt-get install` RUN is not run: the packages it
names must be installed on this host. OUT/<stage>/config.json gets the
stage's WORKDIR, USER, ENV, ENTRYPOINT and CMD. Exit 0 when every stage up
to the target built; 1 with the failing instruction on stderr otherwise;
2 for an instruction this script does not know.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys


def fail(code, msg):
    print("dockerfile-stages: " + msg, file=sys.stderr)
    sys.exit(code)


def instructions(path):
    """(line number, keyword, rest) with continuations joined."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.rstrip("\n")
            if not buf and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if buf and s.lstrip().startswith("#"):
                continue
            if not buf:
                start = n
            if s.endswith("\\"):
                buf += s[:-1] + " "
                continue
            buf += s
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf = ""
    if buf:
        fail(1, "%s: a continuation line at the end" % path)
    return out


def inside(root, path, workdir="/"):
    """The host path of path (absolute, or relative to workdir) in root."""
    p = os.path.normpath(os.path.join(workdir, path))
    return os.path.join(root, p.lstrip("/"))


def docker_copy(src, dst, dst_is_dir):
    """COPY semantics: a directory's contents, a file into a directory."""
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
        shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
        return
    if dst_is_dir:
        os.makedirs(dst, exist_ok=True)
        dst = os.path.join(dst, os.path.basename(src))
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst)


def apt_packages(cmd):
    """The packages of `apt-get update && apt-get install ... PKGS`."""
    words = shlex.split(cmd)
    if "install" not in words:
        return None
    pkgs = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    others = [w for w in words[:words.index("install")] if w not in ("apt-get", "update", "&&", "-y", "-qq")]
    return pkgs if not others else None


def host_binds():
    """What RUN sees of the host: the programs, their configuration, the Go
    toolchain and build cache (go env), never the build context."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for d in ("bin", "sbin", "lib", "lib64", "lib32"):
        t = "/" + d
        if os.path.islink(t):
            args += ["--symlink", os.readlink(t), t]
        elif os.path.isdir(t):
            args += ["--ro-bind", t, t]
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": "/root", "GOPROXY": "off", "GOTOOLCHAIN": "local"}
    go = shutil.which("go")
    if go:
        goroot, gocache = subprocess.run([go, "env", "GOROOT", "GOCACHE"], capture_output=True, text=True,
                                         check=True).stdout.split("\n")[:2]
        if not goroot.startswith("/usr/"):
            args += ["--ro-bind", goroot, goroot]
        env["PATH"] = goroot + "/bin:" + env["PATH"]
        if gocache and os.path.isdir(gocache):
            args += ["--bind", gocache, "/gocache"]
            env["GOCACHE"] = "/gocache"
    return args, env


def run_step(root, workdir, env, cmd, lineno):
    os.makedirs(inside(root, workdir), exist_ok=True)
    binds, base_env = host_binds()
    full = dict(base_env)
    full.update(env)
    argv = ["bwrap", "--bind", root, "/"] + binds + ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                                                    "--unshare-pid", "--die-with-parent", "--clearenv"]
    for k, v in full.items():
        argv += ["--setenv", k, v]
    argv += ["--chdir", workdir, "--", "/bin/sh", "-c", cmd]
    r = subprocess.run(argv)
    if r.returncode != 0:
        fail(1, "line %d: RUN exited with %d: %s" % (lineno, r.returncode, cmd))


def exec_form(rest):
    try:
        v = json.loads(rest)
    except ValueError:
        return ["/bin/sh", "-c", rest]
    return v


def main():
    args = sys.argv[1:]
    target = None
    if "--target" in args:
        i = args.index("--target")
        target = args[i + 1]
        del args[i:i + 2]
    if len(args) != 3:
        fail(2, "usage: dockerfile-stages.py DOCKERFILE CONTEXT OUT [--target STAGE]")
    dockerfile, context, out = args
    context = os.path.abspath(context)
    stages, cur = {}, None
    for lineno, word, rest in instructions(dockerfile):
        if word == "FROM":
            if cur and cur["name"] == target:
                break
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(stages))
            root = os.path.join(out, name, "root")
            os.makedirs(root)
            cur = {"name": name, "root": root, "base": parts[0], "workdir": "/", "env": {}, "user": None,
                   "entrypoint": None, "cmd": None}
            stages[name] = cur
        elif cur is None:
            fail(2, "line %d: %s before FROM" % (lineno, word))
        elif word == "WORKDIR":
            cur["workdir"] = os.path.normpath(os.path.join(cur["workdir"], rest))
            os.makedirs(inside(cur["root"], cur["workdir"]), exist_ok=True)
        elif word == "ENV":
            k, _, v = rest.partition("=")
            cur["env"][k.strip()] = v.strip().strip('"')
        elif word == "USER":
            cur["user"] = rest
        elif word in ("ENTRYPOINT", "CMD"):
            cur[word.lower()] = exec_form(rest)
        elif word == "COPY":
            words = shlex.split(rest)
            src_root = context
            while words and words[0].startswith("--"):
                opt = words.pop(0)
                if opt.startswith("--from="):
                    frm = opt[len("--from="):]
                    if frm not in stages:
                        fail(1, "line %d: COPY --from=%s: no such stage before it" % (lineno, frm))
                    src_root = stages[frm]["root"]
                else:
                    fail(2, "line %d: COPY %s: not supported here" % (lineno, opt))
            *srcs, dst = words
            dst_is_dir = dst.endswith("/") or len(srcs) > 1
            for s in srcs:
                src = os.path.join(src_root, s.lstrip("/")) if src_root != context else os.path.join(context, s)
                if not os.path.exists(src):
                    where = "the build context" if src_root == context else "stage " + frm
                    fail(1, "line %d: COPY %s: no such file in %s" % (lineno, s, where))
                docker_copy(src, inside(cur["root"], dst, cur["workdir"]), dst_is_dir)
        elif word == "RUN":
            pkgs = apt_packages(rest) if "apt-get" in rest else None
            if "apt-get" in rest and pkgs is None:
                fail(2, "line %d: RUN mixes apt-get with other commands: %s" % (lineno, rest))
            if pkgs is not None:
                missing = [p for p in pkgs if subprocess.run(
                    ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout
                    != "install ok installed"]
                if missing:
                    fail(1, "line %d: apt-get install: %s not installed on this host" % (lineno, " ".join(missing)))
                continue
            cmd = exec_form(rest)
            run_step(cur["root"], cur["workdir"], cur["env"], shlex.join(cmd) if rest.startswith("[") else rest,
                     lineno)
        elif word in ("LABEL", "ARG", "EXPOSE", "STOPSIGNAL"):
            pass
        else:
            fail(2, "line %d: %s: not supported here" % (lineno, word))
    if target and target not in stages:
        fail(1, "--target %s: no such stage" % target)
    for s in stages.values():
        with open(os.path.join(out, s["name"], "config.json"), "w") as f:
            json.dump({k: s[k] for k in ("base", "workdir", "user", "env", "entrypoint", "cmd")}, f)


main()
