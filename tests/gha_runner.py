"""Runs a GitHub Actions workflow's jobs here the way a runner does (for tests/test_ci_workflow.py).

- Jobs run in `needs` order; every matrix entry is its own job with its own clean workspace
  (a fresh checkout of the repository files) and its own empty HOME and RUNNER_TEMP.
- `run:` steps run with bash (`bash --noprofile --norc -eo pipefail`, as GitHub's default
  shell), in the workspace, with the workflow/job/step `env`, GITHUB_ENV/GITHUB_PATH applied
  between steps, `if:` conditions and `${{ }}` expressions evaluated.
- Artifacts pass between jobs only as actions/upload-artifact@v4 and download-artifact@v4
  define it: the files the `path:` lines name (globs, `!` exclusions, hidden files left out),
  stored relative to their least common ancestor; downloads by name or pattern, into
  `path/<artifact>/` or merged.
- actions/cache (+ /restore, /save) keep folders in a store by key, restore-keys by prefix.
- Steps that only make sense on GitHub are emulated visibly (each logged as `[emulated]`):
  checkout (copies the repository files), setup-python (a Python from the "tool cache" with
  sdkbuild installed, as a runner image has Pythons preinstalled) and `gh pr comment`
  (checks the token's permissions and records the comment body).
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import yaml

# ------------------------------------------------------------------ expressions


class Expr:
    """A small evaluator for GitHub's expression syntax (literals, contexts, operators, functions)."""

    TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,])"
                       r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*|\*))")

    def __init__(self, text: str, ctx: dict[str, Any], funcs: dict[str, Any]) -> None:
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot parse expression at {text[pos:]!r}")
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.ctx, self.funcs = ctx, funcs

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if want is not None and tok[1] != want:
            raise ValueError(f"expected {want!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def value(self) -> Any:
        v = self.or_()
        if self.i != len(self.toks):
            raise ValueError(f"unexpected {self.toks[self.i][1]!r}")
        return v

    def or_(self) -> Any:
        v = self.and_()
        while self.peek() == "||":
            self.take()
            r = self.and_()
            v = v if truthy(v) else r
        return v

    def and_(self) -> Any:
        v = self.cmp()
        while self.peek() == "&&":
            self.take()
            r = self.cmp()
            v = r if truthy(v) else v
        return v

    def cmp(self) -> Any:
        v = self.unary()
        while self.peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            r = self.unary()
            a, b = (v.lower(), r.lower()) if isinstance(v, str) and isinstance(r, str) else (v, r)
            v = {"==": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return v

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, tok = self.take()
        if tok == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind == "num":
            return float(tok) if "." in tok else int(tok)
        if kind == "str":
            return tok[1:-1].replace("''", "'")
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "null":
            return None
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            fn = self.funcs.get(tok.lower())
            if fn is None:
                raise ValueError(f"unknown function {tok}()")
            return fn(*args)
        if tok not in self.ctx:
            raise ValueError(f"unknown context {tok!r}")
        return self.ctx[tok]

    def postfix(self, v: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            v = v.get(key) if isinstance(v, dict) else None
        return v


def truthy(v: Any) -> bool:
    return v not in (None, False, 0, "", 0.0)


def as_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


# ------------------------------------------------------------------ the runner


@dataclass
class StepLog:
    job: str
    name: str
    status: str  # "ok", "failed", "skipped", "emulated"
    output: str = ""
    seconds: float = 0.0


@dataclass
class Runner:
    workflow: Path
    repo: Path  # the repository files a checkout gives (the SDK project)
    work: Path  # scratch: workspaces, homes, artifact and cache stores
    event: str = "pull_request"
    ref: str = "refs/pull/7/merge"
    vars: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    base_env: dict[str, str] = field(default_factory=dict)  # the runner machine's environment
    python_bin: Path | None = None  # setup-python: a bin folder with python, pip, sdkbuild
    parallel: int = 2
    log: list[StepLog] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    artifacts: Path = field(init=False)

    def __post_init__(self) -> None:
        self.doc = yaml.safe_load(self.workflow.read_text())
        self.artifacts = self.work / "artifacts"
        self.caches = self.work / "caches"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.caches.mkdir(parents=True, exist_ok=True)
        self.run_id = str(int(time.time()))

    # ---- contexts

    def github(self, workspace: Path, permissions: dict[str, str]) -> dict[str, Any]:
        repo = "example/sdk"
        event: dict[str, Any] = {}
        if self.event == "pull_request":
            event = {"number": 7, "pull_request": {"number": 7, "head": {"repo": {"full_name": repo}}}}
        return {"event_name": self.event, "ref": self.ref, "run_id": self.run_id, "repository": repo,
                "workspace": str(workspace), "token": "ghs_emulated" if permissions else "", "event": event,
                "sha": "0" * 40}

    def expand(self, text: Any, ctx: dict[str, Any], funcs: dict[str, Any]) -> Any:
        if not isinstance(text, str) or "${{" not in text:
            return text
        whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", text, re.S)
        if whole:
            return Expr(whole.group(1), ctx, funcs).value()
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: as_text(Expr(m.group(1), ctx, funcs).value()), text, flags=re.S)

    def funcs(self, workspace: Path, state: dict[str, bool]) -> dict[str, Any]:
        def hash_files(*patterns: str) -> str:
            import hashlib

            h = hashlib.sha256()
            files = sorted({p for pat in patterns for p in glob.glob(str(workspace / pat), recursive=True)
                            if os.path.isfile(p)})
            for f in files:
                h.update(hashlib.sha256(Path(f).read_bytes()).digest())
            return h.hexdigest() if files else ""

        return {
            "startswith": lambda a, b: as_text(a).lower().startswith(as_text(b).lower()),
            "endswith": lambda a, b: as_text(a).lower().endswith(as_text(b).lower()),
            "contains": lambda a, b: (b in a) if isinstance(a, list) else as_text(b).lower() in as_text(a).lower(),
            "format": lambda f, *a: re.sub(r"\{(\d+)\}", lambda m: as_text(a[int(m.group(1))]), f),
            "tojson": lambda v: json.dumps(v),
            "hashfiles": hash_files,
            "always": lambda: True,
            "success": lambda: not state["failed"],
            "failure": lambda: state["failed"],
            "cancelled": lambda: False,
        }

    # ---- jobs

    def matrix_of(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        m = (job.get("strategy") or {}).get("matrix")
        if not m:
            return [{}]
        axes = {k: v for k, v in m.items() if k not in ("include", "exclude")}
        combos = [dict(zip(axes, vals, strict=True)) for vals in product(*axes.values())] if axes else []
        combos += [dict(i) for i in m.get("include", [])]
        return combos or [{}]

    def run(self) -> bool:
        jobs = self.doc["jobs"]
        done: dict[str, bool] = {}
        while len(done) < len(jobs):
            ready = [j for j in jobs if j not in done and all(n in done for n in _list(jobs[j].get("needs")))]
            if not ready:
                raise ValueError("the workflow's `needs` form a cycle")
            for name in ready:
                if not all(done[n] for n in _list(jobs[name].get("needs"))):
                    done[name] = False
                    self.log.append(StepLog(name, "(job)", "skipped", "a needed job failed"))
                    continue
                entries = self.matrix_of(jobs[name])
                with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                    oks = list(pool.map(lambda e, n=name: self.run_job(n, jobs[n], e), entries))
                done[name] = all(oks)
        return all(done.values())

    def run_job(self, name: str, job: dict[str, Any], matrix: dict[str, Any]) -> bool:
        label = name + (f" ({', '.join(str(v) for v in matrix.values())})" if matrix else "")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)
        root = self.work / "jobs" / slug
        workspace, home, temp = root / "workspace", root / "home", root / "temp"
        for d in (workspace, home, temp):
            d.mkdir(parents=True)
        permissions = job.get("permissions", self.doc.get("permissions", {})) or {}
        state = {"failed": False}
        funcs = self.funcs(workspace, state)
        ctx: dict[str, Any] = {"matrix": matrix, "vars": self.vars, "secrets": self.secrets,
                               "github": self.github(workspace, permissions), "strategy": {},
                               "runner": {"os": "Linux", "temp": str(temp), "arch": "X64"}, "needs": {}}
        env: dict[str, str] = {}
        for scope in (self.doc.get("env") or {}, job.get("env") or {}):
            for k, v in scope.items():
                env[k] = as_text(self.expand(v, {**ctx, "env": env}, funcs))
        runs_on = self.expand(job.get("runs-on", ""), ctx, funcs)
        if "macos" in str(runs_on):
            self.log.append(StepLog(label, f"runs-on {runs_on}", "emulated",
                                    "a Linux runner stands in for macOS: no Xcode, iOS slices come from zig"))
        github_env, github_path = temp / "github_env", temp / "github_path"
        github_env.touch()
        github_path.touch()
        extra_path: list[str] = []
        post: list[tuple[str, Any]] = []
        for step in job.get("steps", []):
            title = step.get("name") or step.get("uses") or (step.get("run") or "").splitlines()[0]
            title = as_text(self.expand(title, {**ctx, "env": env}, funcs))
            cond = step.get("if")
            if cond is not None:
                c = cond if isinstance(cond, bool) else str(cond).strip()
                if isinstance(c, str):
                    c = c[3:-2] if c.startswith("${{") and c.endswith("}}") else c
                    uses_status = re.search(r"\b(always|success|failure|cancelled)\(", c)
                    ok = truthy(Expr(c, {**ctx, "env": env}, funcs).value()) and (uses_status or not state["failed"])
                else:
                    ok = bool(c) and not state["failed"]
            else:
                ok = not state["failed"]
            if not ok:
                self.log.append(StepLog(label, title, "skipped"))
                continue
            step_env = dict(env)
            for k, v in (step.get("env") or {}).items():
                step_env[k] = as_text(self.expand(v, {**ctx, "env": step_env}, funcs))
            t0 = time.monotonic()
            try:
                if "uses" in step:
                    with_ = {k: self.expand(v, {**ctx, "env": step_env}, funcs) for k, v in (step.get("with") or {}).items()}
                    status, out = self.action(step["uses"], with_, workspace, home, label, extra_path, post,
                                              permissions)
                else:
                    script = as_text(self.expand(step["run"], {**ctx, "env": step_env}, funcs))
                    if re.search(r"\bgh pr comment\b", script):
                        status, out = self.comment(script, workspace, step_env, permissions)
                    else:
                        status, out = self.shell(script, workspace, home, temp, step_env, extra_path,
                                                 github_env, github_path, matrix)
            except Exception as e:  # the emulation itself failed: a failed step
                status, out = "failed", f"{type(e).__name__}: {e}"
            self.log.append(StepLog(label, title, status, out, time.monotonic() - t0))
            if status == "failed":
                state["failed"] = True
            # GITHUB_ENV / GITHUB_PATH written by this step apply from the next one on
            for line in github_env.read_text().splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    env[k] = v
            extra_path[:] = [p for p in github_path.read_text().splitlines() if p] + extra_path
            github_path.write_text("")
        for what, arg in post:  # post-job: actions/cache saves what the job produced
            if what == "cache-save" and not state["failed"]:
                self.cache_save(*arg)
                self.log.append(StepLog(label, f"post: save cache {arg[0]}", "emulated"))
        return not state["failed"]

    def shell(self, script: str, workspace: Path, home: Path, temp: Path, env: dict[str, str], extra_path: list[str],
              github_env: Path, github_path: Path, matrix: dict[str, Any]) -> tuple[str, str]:
        path = [*extra_path, os.environ.get("PATH", "/usr/bin:/bin")]
        full = {**self.base_env, **env, "HOME": str(home), "RUNNER_TEMP": str(temp), "RUNNER_OS": "Linux",
                "GITHUB_WORKSPACE": str(workspace), "GITHUB_ENV": str(github_env), "GITHUB_PATH": str(github_path),
                "GITHUB_EVENT_NAME": self.event, "GITHUB_REF": self.ref, "CI": "true", "GITHUB_ACTIONS": "true",
                "PATH": os.pathsep.join(path)}
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                           env=full, capture_output=True, text=True, timeout=1800)
        return ("ok" if r.returncode == 0 else "failed"), (r.stdout + r.stderr)[-6000:]

    # ---- actions

    def action(self, uses: str, with_: dict[str, Any], workspace: Path, home: Path, job: str,
               extra_path: list[str], post: list, permissions: dict[str, str]) -> tuple[str, str]:
        name = uses.split("@", 1)[0]
        if name == "actions/checkout":
            shutil.copytree(self.repo, workspace, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
            return "emulated", f"checkout: copied {self.repo}"
        if name == "actions/setup-python":
            if self.python_bin is None:
                return "failed", "setup-python: no Python in the emulated tool cache"
            extra_path.insert(0, str(self.python_bin))
            return "emulated", f"setup-python {with_.get('python-version')}: the runner's tool-cache Python " \
                               f"({self.python_bin}, with sdkbuild installed)"
        if name in ("actions/cache", "actions/cache/restore"):
            paths = _lines(with_.get("path"))
            hit = self.cache_restore(with_["key"], _lines(with_.get("restore-keys")), paths, workspace, home)
            if name == "actions/cache" and hit != with_["key"]:
                post.append(("cache-save", (with_["key"], paths, workspace, home)))
            return "emulated", f"cache {'hit: ' + hit if hit else 'miss'}"
        if name == "actions/cache/save":
            self.cache_save(with_["key"], _lines(with_.get("path")), workspace, home)
            return "emulated", "cache saved"
        if name == "actions/upload-artifact":
            return self.upload(with_, workspace)
        if name == "actions/download-artifact":
            return self.download(with_, workspace)
        return "failed", f"the runner cannot emulate {uses}"

    def _resolve(self, p: str, workspace: Path, home: Path) -> Path:
        p = p.strip()
        if p.startswith("~"):
            return home / p[2:]
        return Path(p) if os.path.isabs(p) else workspace / p

    def cache_restore(self, key: str, restore_keys: list[str], paths: list[str], workspace: Path,
                      home: Path) -> str | None:
        stored = sorted((d for d in self.caches.iterdir() if (d / "meta.json").is_file()),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        names = [json.loads((d / "meta.json").read_text())["key"] for d in stored]
        hit = key if key in names else next((n for rk in restore_keys for n in names if n.startswith(rk)), None)
        if hit is None:
            return None
        src = stored[names.index(hit)]
        for i, p in enumerate(paths):
            if (src / str(i)).exists():
                dest = self._resolve(p, workspace, home)
                shutil.copytree(src / str(i), dest, dirs_exist_ok=True, symlinks=True)
        return hit

    def cache_save(self, key: str, paths: list[str], workspace: Path, home: Path) -> None:
        dest = self.caches / re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
        if dest.exists():
            return  # caches are immutable: a key is saved once
        tmp = self.caches.parent / f".saving-{dest.name}-{threading.get_ident()}"
        tmp.mkdir(parents=True)
        for i, p in enumerate(paths):
            src = self._resolve(p, workspace, home)
            if src.is_dir():
                shutil.copytree(src, tmp / str(i), symlinks=True)
        (tmp / "meta.json").write_text(json.dumps({"key": key}))
        try:
            os.rename(tmp, dest)  # whole or not at all: a job restoring meanwhile sees no half cache
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

    def upload(self, with_: dict[str, Any], workspace: Path) -> tuple[str, str]:
        """actions/upload-artifact@v4: the files `path` names, relative to their least common ancestor."""
        name = with_.get("name") or "artifact"
        dest = self.artifacts / name
        if dest.exists():
            return "failed", f"an artifact named {name!r} was already uploaded in this run"
        include, exclude = [], []
        for line in _lines(with_.get("path")):
            (exclude if line.startswith("!") else include).append(line.lstrip("!"))
        hidden = str(with_.get("include-hidden-files", "false")).lower() == "true"
        files: set[Path] = set()
        roots: list[Path] = []
        for pat in include:
            matches = [Path(m) for m in glob.glob(str(workspace / pat), recursive=True)]
            for m in matches:
                roots.append(m if m.is_dir() else m.parent)
                cands = [m] if m.is_file() else [p for p in m.rglob("*") if p.is_file()]
                for f in cands:
                    rel = f.relative_to(workspace).as_posix()
                    if not hidden and any(part.startswith(".") for part in Path(rel).parts):
                        continue
                    if any(fnmatch.fnmatch(rel, e) or rel.startswith(e.rstrip("/") + "/") for e in exclude):
                        continue
                    files.add(f)
        if not files:
            mode = with_.get("if-no-files-found", "warn")
            if mode == "error":
                return "failed", f"no files found for {include}"
            return "ok", f"warning: no files found for {include}: nothing uploaded"
        base = Path(os.path.commonpath([str(r) for r in roots])) if len(roots) > 1 else roots[0]
        for f in sorted(files):
            target = dest / f.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        return "emulated", f"uploaded {len(files)} files as {name!r} (root {base.relative_to(workspace)})"

    def download(self, with_: dict[str, Any], workspace: Path) -> tuple[str, str]:
        path = workspace / (with_.get("path") or ".")
        if with_.get("name"):
            chosen = [self.artifacts / with_["name"]]
            if not chosen[0].is_dir():
                return "failed", f"no artifact named {with_['name']!r}"
            merge = True
        else:
            pattern = with_.get("pattern") or "*"
            chosen = sorted(p for p in self.artifacts.iterdir() if fnmatch.fnmatch(p.name, pattern))
            merge = str(with_.get("merge-multiple", "false")).lower() == "true"
        for a in chosen:
            shutil.copytree(a, path if merge else path / a.name, dirs_exist_ok=True)
        return "emulated", f"downloaded {[a.name for a in chosen]} into {path.relative_to(workspace)}"

    def comment(self, script: str, workspace: Path, env: dict[str, str], permissions: dict[str, str]) -> tuple[str, str]:
        """`gh pr comment N --body-file F`: needs a token allowed to write pull requests."""
        if permissions.get("pull-requests") != "write" and permissions != "write-all":
            return "failed", ("gh: Resource not accessible by integration (HTTP 403): the job's token has no "
                              "`permissions: pull-requests: write`")
        if not env.get("GH_TOKEN"):
            return "failed", "gh: GH_TOKEN is not set"
        m = re.search(r"--body-file\s+(\S+)", script)
        body = workspace / m.group(1) if m else None
        if body is None or not body.is_file():
            return "failed", f"gh: the body file {m.group(1) if m else '?'} does not exist"
        self.comments.append(body.read_text())
        return "emulated", f"commented {len(self.comments[-1])} characters on pull request #7"


def _list(v: Any) -> list[str]:
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def _lines(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v]
    return [ln.strip() for ln in str(v).splitlines() if ln.strip()]


def report(log: list[StepLog]) -> str:
    return "\n".join(f"[{s.status:>8}] {s.job}: {s.name} ({s.seconds:.1f}s)" for s in log)
